using FastEndpoints;
using Microsoft.Extensions.Options;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Domain.Policy;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Policy.Parameters;

/// <summary>The policy parameters in force, as the API parsed them from configuration (durations as ISO-8601).</summary>
public sealed record PolicyParametersResponse(
    Instant UnifiedPolicyEffectiveFrom,
    Duration RiskAssessmentValidFor,
    Duration EmergencyRiskAssessmentValidFor,
    Duration TransparencyNoticeDue,
    bool MandatoryReportingDuty,
    Duration MandatoryReportDue,
    Duration MaximumReportDelay);

/// <summary>GET /policy/parameters: so staff and operators can see which deadlines the API is actually applying.</summary>
public sealed class GetPolicyParametersEndpoint(IOptions<PolicyOptions> policy) : EndpointWithoutRequest<PolicyParametersResponse>
{
    public override void Configure()
    {
        Get("/policy/parameters");
        Roles(R.All.ToArray());
        Description(b => b.Read<PolicyParametersResponse>("Policy", "The policy parameters in force", onCase: false), clearDefaults: true);
    }

    public override Task HandleAsync(CancellationToken ct)
    {
        var p = policy.Value;
        return Send.OkAsync(new PolicyParametersResponse(p.UnifiedPolicyEffectiveFrom, p.RiskAssessmentValidFor, p.EmergencyRiskAssessmentValidFor,
            p.TransparencyNoticeDue, p.MandatoryReportingDuty, p.MandatoryReportDue, PolicyOptions.MaximumReportDelay), ct);
    }
}
