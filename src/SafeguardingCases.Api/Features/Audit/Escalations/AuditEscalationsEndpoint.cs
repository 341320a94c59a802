using FastEndpoints;
using Mediator;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Audit.Escalations;

/// <summary>GET /audit/escalations?from=&amp;to=: every escalation in the range, its recorded decision and a fresh re-check.</summary>
public sealed class AuditEscalationsEndpoint(ISender sender, IClock clock) : Endpoint<RangeRequest, EscalationAudit>
{
    public override void Configure()
    {
        Get("/audit/escalations");
        Roles(R.Auditor);
        Description(b => b.Read<EscalationAudit>("Audit", "Every escalation with its recorded decision and a re-check under the policy of the time", onCase: false), clearDefaults: true);
    }

    public override async Task HandleAsync(RangeRequest req, CancellationToken ct)
    {
        var (from, to) = req.Resolve(clock.GetCurrentInstant());
        await EndpointResults.SendJsonAsync(HttpContext, await sender.Send(new AuditEscalationsQuery(from, to), ct), StatusCodes.Status200OK);
    }
}
