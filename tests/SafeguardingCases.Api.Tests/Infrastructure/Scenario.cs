using System.Net;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Infrastructure;

/// <summary>Builds cases through the real HTTP API, the way users do.</summary>
public static class Scenario
{
    public static object OpenCaseBody(int? ageYears = 16, string? ageBand = null) => new
    {
        channel = "Boards",
        sourceReference = "post-123",
        serviceUser = new { reference = "handle-9", ageYears, ageBand },
        summary = "A worrying post on the boards",
    };

    public static async Task<Guid> OpenCase(this ApiFactory api, int? ageYears = 16, string? ageBand = null)
    {
        var response = await api.ClientFor(Roles.SafeguardingOfficer).PostJson("/api/v1/cases", OpenCaseBody(ageYears, ageBand)).ShouldBe(HttpStatusCode.Created);
        return (await response.Json())["id"]!.GetValue<Guid>();
    }
}
