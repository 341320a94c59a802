using FastEndpoints;
using Marten;
using Mediator;
using Microsoft.Extensions.Options;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
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

/// <summary>The re-check: what the policy engine says today of the case as it stood just before the escalation.</summary>
public sealed record Recheck(bool Permitted, IReadOnlyList<string> RuleIds, string? Refusal);

/// <summary>
/// One escalation, its recorded decision and the re-check. When the escalation's event is no longer in the case's
/// stream (the store was altered), the fields only the event holds are null and the row is a mismatch.
/// </summary>
public sealed record AuditedEscalation(
    Guid CaseId, Guid EscalationId, long Version, Instant At, Route Route, Agency? Agency, string? PersonId,
    Guid? OverrideId, EscalationDecision? Recorded, Recheck Recheck, bool Mismatch, bool Overridden, Actor? MadeBy);

public sealed record EscalationAudit(Instant From, Instant To, int Count, int Mismatches, int Overrides, IReadOnlyList<AuditedEscalation> Escalations);

public sealed record AuditEscalationsQuery(Instant From, Instant To) : IRequest<EscalationAudit>;

/// <summary>
/// Replays each case to the event before the escalation and asks the policy engine again, with the policy parameters
/// recorded on the escalation (the policy in force then; the configured ones for escalations that predate that
/// record) and the escalation's own time as "now". A refusal now, or other rule IDs, is a mismatch.
/// </summary>
public sealed class AuditEscalationsHandler(IQuerySession session, IOptions<PolicyOptions> policy) : IRequestHandler<AuditEscalationsQuery, EscalationAudit>
{
    public async ValueTask<EscalationAudit> Handle(AuditEscalationsQuery request, CancellationToken cancellationToken)
    {
        var from = request.From.ToUnixTimeMilliseconds();
        var to = request.To.ToUnixTimeMilliseconds();
        var records = await session.Query<DecisionRecord>()
            .Where(r => r.Kind == DecisionKind.Escalation && r.AtUnixMs >= from && r.AtUnixMs < to)
            .OrderBy(r => r.AtUnixMs).ThenBy(r => r.Id)
            .ToListAsync(cancellationToken);

        var audited = new List<AuditedEscalation>(records.Count);
        foreach (var byCase in records.GroupBy(r => r.CaseId))
        {
            var events = await session.Events.FetchStreamAsync(byCase.Key, token: cancellationToken);
            foreach (var record in byCase) audited.Add(Audit(events, record));
        }
        audited.Sort((a, b) => a.At.CompareTo(b.At));
        return new EscalationAudit(request.From, request.To, audited.Count, audited.Count(a => a.Mismatch), audited.Count(a => a.Overridden), audited);
    }

    private AuditedEscalation Audit(IReadOnlyList<JasperFx.Events.IEvent> events, DecisionRecord record)
    {
        if (events.FirstOrDefault(e => e.Version == record.StreamVersion)?.Data is not EscalationMade made || made.EscalationId != record.Id)
        {
            var missing = new Recheck(false, [], "The escalation's event is no longer in the case's stream; check the case's integrity.");
            return new AuditedEscalation(record.CaseId, record.Id, record.StreamVersion, record.At, record.Route, null, null,
                record.OverrideId, null, missing, Mismatch: true, record.OverrideId is not null, null);
        }

        var before = CaseState.Replay(events.Where(e => e.Version < record.StreamVersion).Select(e => e.Data).OfType<ICaseEvent>())!;
        var request = new EscalationRequest(made.Route, made.Agency, made.PersonId, made.RiskAssessmentId, made.ReliesOn, made.InformationShared, made.OverrideId);
        var check = PolicyEngine.CheckEscalation(before, request, made.Decision.Parameters ?? policy.Value, made.At);
        var recheck = check.Refusal is { } refusal
            ? new Recheck(false, refusal.RuleIds, refusal.Detail)
            : new Recheck(true, check.Decision!.RuleIds, null);
        var mismatch = !recheck.Permitted || !recheck.RuleIds.Order(StringComparer.Ordinal).SequenceEqual(made.Decision.RuleIds.Order(StringComparer.Ordinal));
        return new AuditedEscalation(record.CaseId, made.EscalationId, record.StreamVersion, made.At, made.Route, made.Agency, made.PersonId,
            made.OverrideId, made.Decision, recheck, mismatch, made.OverrideId is not null, made.By);
    }
}
