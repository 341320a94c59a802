using FastEndpoints;
using Mediator;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.History.Get;

/// <summary>GET /cases/{id}/history: every event of the case, in order, with who recorded it and when.</summary>
public sealed class GetHistoryEndpoint(ISender sender) : EndpointWithoutRequest<CaseHistory>
{
    public override void Configure()
    {
        Get("/cases/{id}/history");
        Roles(R.Auditor, R.SafeguardingLead);
        Description(b => b.Read<CaseHistory>("Audit", "Every event of the case, in order"), clearDefaults: true);
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        await using var history = await sender.Send(new GetHistoryQuery(Route<Guid>("id")), ct);
        if (history is null)
        {
            await this.SendCaseReadAsync<object>(null, 0);
            return;
        }
        HttpContext.Response.Headers.ETag = CaseVersion.ToETag(history.Version);
        HttpContext.Response.ContentType = "application/json";
        HttpContext.MarkResponseStart();
        await history.WriteToAsync(HttpContext.Response.Body, ct);
    }
}
