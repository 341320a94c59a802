using NodaTime;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Features.Cases.List;

/// <summary>An outstanding obligation as the case list shows it.</summary>
public sealed record ObligationSummary(ObligationType Type, Instant DueBy, string? PersonId, Guid? EscalationId);

/// <summary>
/// One row of the case list: a small document with its own fields (no copy of the case state), written by the command
/// runner in the same transaction as the events that changed the case, from the state it has just evolved. What lists
/// filter and sort on is duplicated by Marten into real, indexed columns (see <c>MartenSetup</c>): the status, the
/// last change, the restriction flag, and for each obligation type the earliest due time of that type (null when none
/// is owed), so every list and queue is an index scan in order that stops after one page, at any store size.
/// </summary>
public sealed class CaseSummary
{
    public Guid Id { get; set; }
    public long Version { get; set; }
    public CaseStatus Status { get; set; }
    public Channel Channel { get; set; }
    [Personal] public string SourceReference { get; set; } = "";
    [Personal] public string Summary { get; set; } = "";
    public Instant OpenedAt { get; set; }
    public Instant LastChangedAt { get; set; }
    public long LastChangedAtUnixMs { get; set; }
    public PersonClassification ServiceUserClassification { get; set; }
    public List<ObligationSummary> Obligations { get; set; } = [];
    /// <summary>The earliest due instant of any outstanding obligation; long.MaxValue when none.</summary>
    public long NextDueByUnixMs { get; set; } = long.MaxValue;
    // The earliest due instant of each obligation type (Unix ms), null when none of that type is owed: one queue each.
    public long? DueSafetyPlanFirst { get; set; }
    public long? DueRiskAssessmentNeeded { get; set; }
    public long? DueTransparencyNoticeDue { get; set; }
    public long? DueReportDue { get; set; }
    public long? DueNoEscalationDecisionDue { get; set; }

    /// <summary>
    /// A page of list rows (Marten's <c>where ... order by ... limit</c> SQL), their personal values opened after one
    /// awaited read of the page's keys not held fresh, not one blocking read per row from inside the serializer.
    /// </summary>
    public static async Task<IReadOnlyList<CaseSummary>> QueryAsync(Marten.IQuerySession session, Infrastructure.Privacy.CaseKeyRing keys, string sql,
        object[] parameters, CancellationToken ct)
    {
        var (rows, missing) = await keys.QuerySealedAsync<CaseSummary>(session, sql, parameters, r => r.Id, recheckHeld: false, ct);
        foreach (var row in rows)
        {
            row.SourceReference = keys.OpenText(row.SourceReference, missing);
            row.Summary = keys.OpenText(row.Summary, missing);
        }
        return rows;
    }

    /// <summary>The earliest due time (Unix ms) of an obligation type this case owes, or null: the queue's sort key.</summary>
    public long? DueOf(ObligationType type) => type switch
    {
        ObligationType.SafetyPlanFirst => DueSafetyPlanFirst,
        ObligationType.RiskAssessmentNeeded => DueRiskAssessmentNeeded,
        ObligationType.TransparencyNoticeDue => DueTransparencyNoticeDue,
        ObligationType.ReportDue => DueReportDue,
        ObligationType.NoEscalationDecisionDue => DueNoEscalationDecisionDue,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>The queue column of an obligation type, as Marten names the duplicated field.</summary>
    public static string DueColumn(ObligationType type) => type switch
    {
        ObligationType.SafetyPlanFirst => "due_safety_plan_first",
        ObligationType.RiskAssessmentNeeded => "due_risk_assessment_needed",
        ObligationType.TransparencyNoticeDue => "due_transparency_notice_due",
        ObligationType.ReportDue => "due_report_due",
        ObligationType.NoEscalationDecisionDue => "due_no_escalation_decision_due",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
    /// <summary>RETENTION-SCHEDULE: when this closed case's retention is reviewed (Unix ms); null while open.</summary>
    public long? RetentionReviewAtUnixMs { get; set; }
    public string? RetentionSchedule { get; set; }
    public Instant? ClosedAt { get; set; }
    public bool LegalHold { get; set; }

    /// <summary>The allocated worker's token subject (the <c>allocatedTo</c> filter), null when unallocated.</summary>
    public string? AllocatedTo { get; set; }

    /// <summary>
    /// The keyed blind index of the case's references (<see cref="Search.ReferenceIndex"/>), written by the stager (it
    /// holds the key); null on a row written before the index existed, until its case next changes or the backfill
    /// reaches it. Searched through a GIN index on this member.
    /// </summary>
    public List<string>? ReferenceIndex { get; set; }

    /// <summary>NEED-TO-KNOW: the row shows only to the named staff while the case is restricted.</summary>
    public bool Restricted { get; set; }

    /// <summary>
    /// NEED-TO-KNOW as SQL: the list row <paramref name="alias"/> shows to the reader, whose subject is the one <c>?</c>
    /// parameter: unrestricted, or restricted to staff that name them. Every list and queue read from the rows uses it.
    /// </summary>
    public static string ShownToReader(string alias) => $"({alias}.restricted = false or jsonb_exists({alias}.data -> 'allowedSubjects', ?))";
    public List<string> AllowedSubjects { get; set; } = [];

    /// <summary>The row for a case as it stands, with the obligations the policy computes under these options.</summary>
    public static CaseSummary From(CaseState state, PolicyOptions options)
    {
        var obligations = PolicyEngine.Obligations(state, options);
        var serviceUser = state.FindPerson(CaseState.ServiceUserId);
        var retention = Rules.RetentionSchedule(state, options.Retention);
        return new CaseSummary
        {
            Id = state.Id,
            Version = state.Version,
            Status = state.Status,
            Channel = state.Channel,
            SourceReference = state.SourceReference,
            Summary = state.Summary,
            OpenedAt = state.OpenedAt,
            LastChangedAt = state.LastChangedAt,
            LastChangedAtUnixMs = state.LastChangedAt.ToUnixTimeMilliseconds(),
            ServiceUserClassification = serviceUser is null
                ? PersonClassification.UnknownTreatedAsChild
                : Rules.Classify(serviceUser, state.LastChangedAt).Classification,
            Obligations = [.. obligations.Select(o => new ObligationSummary(o.Type, o.DueBy, o.PersonId, o.EscalationId))],
            NextDueByUnixMs = obligations.Count == 0 ? long.MaxValue : obligations.Min(o => o.DueBy.ToUnixTimeMilliseconds()),
            DueSafetyPlanFirst = EarliestDue(obligations, ObligationType.SafetyPlanFirst),
            DueRiskAssessmentNeeded = EarliestDue(obligations, ObligationType.RiskAssessmentNeeded),
            DueTransparencyNoticeDue = EarliestDue(obligations, ObligationType.TransparencyNoticeDue),
            DueReportDue = EarliestDue(obligations, ObligationType.ReportDue),
            DueNoEscalationDecisionDue = EarliestDue(obligations, ObligationType.NoEscalationDecisionDue),
            AllocatedTo = state.Allocation?.Subject,
            RetentionReviewAtUnixMs = retention?.ReviewAt.ToUnixTimeMilliseconds(),
            RetentionSchedule = retention?.Schedule,
            ClosedAt = state.ClosedAt,
            LegalHold = state.LegalHold is not null,
            Restricted = state.Restriction is not null,
            AllowedSubjects = state.Restriction is { } restriction ? [.. restriction.AllowedSubjects] : [],
        };
    }

    private static long? EarliestDue(IReadOnlyList<Obligation> obligations, ObligationType type) =>
        obligations.Where(o => o.Type == type).Select(o => (long?)o.DueBy.ToUnixTimeMilliseconds()).Min();
}
