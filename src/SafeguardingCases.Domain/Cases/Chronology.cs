using System.Globalization;
using System.Text;
using NodaTime;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Domain.Cases;

/// <summary>One event of a case as a chronology shows it: when, which version, what happened in words, by whom, under which rules.</summary>
public sealed record ChronologyEntry(long Version, Instant At, string What, string By, IReadOnlyList<string> RuleIds);

/// <summary>What a subject access export left out of an entry, and on which ground.</summary>
public sealed record Redaction(long Version, string Field, string Ground);

/// <summary>A subject access export as the service user receives it: the entries, and every redaction by ground.</summary>
public sealed record SubjectAccessContent(IReadOnlyList<ChronologyEntry> Entries, IReadOnlyList<Redaction> Redactions);

/// <summary>
/// A case's chronology (DESIGN.md, Exports), pure: each stored event in the glossary's words for an audience.
/// <list type="bullet">
/// <item><c>Internal</c> and <c>Court</c>: every event, with the names of the staff who recorded them.</item>
/// <item><c>Agency</c>: only the escalations to that agency, with exactly what each recorded as shared
/// (MINIMUM-NECESSARY), and that agency's responses; staff by role.</item>
/// <item><c>Subject</c> (subject access): every event, staff by role, other people's identifying data redacted.</item>
/// </list>
/// A destroyed value reads "[destroyed]" (DESTRUCTION-TWO-LEADS).
/// </summary>
public static class Chronology
{
    public const string DestroyedText = "[destroyed]";
    public const string ThirdPartyText = "[redacted: another person]";
    public const string ThirdPartyGround = "ThirdPartyData";
    public const string StaffNameGround = "StaffName";

    /// <summary>The entries of <paramref name="events"/> (each with its version) for the audience, in order.</summary>
    public static IReadOnlyList<ChronologyEntry> For(IReadOnlyList<(long Version, ICaseEvent Event)> events, ExportAudience audience, Agency? agency = null)
    {
        var entries = new List<ChronologyEntry>();
        CaseState? state = null;
        foreach (var (version, e) in events)
        {
            var before = state ?? new CaseState();
            state = CaseState.Evolve(state, e);
            if (audience == ExportAudience.Agency && !ConcernsAgency(before, e, agency)) continue;
            var what = audience == ExportAudience.Agency && e is EscalationMade made ? Shared(before, made) : Describe(before, e);
            var names = audience is ExportAudience.Internal or ExportAudience.Court;
            entries.Add(new ChronologyEntry(version, e.At, what, By(e.By, names), RuleIdsOf(e)));
        }
        return entries;
    }

    /// <summary>
    /// A subject access export's content: the entries up to the draft's version with staff names and other people's
    /// identifying data redacted, and the entries a lead withheld left out; every redaction listed by ground.
    /// </summary>
    public static SubjectAccessContent SubjectAccess(IReadOnlyList<(long Version, ICaseEvent Event)> events, SubjectAccessExport export)
    {
        var upTo = events.Where(x => x.Version <= export.Draft.UpToVersion).ToList();
        var state = CaseState.Replay(upTo.Select(x => x.Event)) ?? new CaseState();
        var others = state.Persons.Where(p => p.Id != CaseState.ServiceUserId)
            .SelectMany(p => new[] { p.Reference, p.Description })
            .Where(t => t.Trim().Length >= 2 && !PersonalAttribute.IsDestroyed(t))
            .Distinct(StringComparer.Ordinal).OrderByDescending(t => t.Length).ToList();
        var staffNames = upTo.Select(x => x.Event.By.Name).Concat(upTo.Select(x => x.Event).OfType<CaseAllocated>().Select(a => a.Name))
            .Where(t => t.Trim().Length >= 2 && !PersonalAttribute.IsDestroyed(t))
            .Distinct(StringComparer.Ordinal).OrderByDescending(t => t.Length).ToList();
        var withheld = export.Draft.Flags
            .Where(f => export.DecisionOn(f.FlagId) is { Decision: FlagDecision.Withhold })
            .GroupBy(f => f.Version).ToDictionary(g => g.Key, g => export.DecisionOn(g.First().FlagId)!.Ground);
        var entries = new List<ChronologyEntry>();
        var redactions = new List<Redaction>();
        foreach (var entry in For(upTo, ExportAudience.Subject))
        {
            if (withheld.TryGetValue(entry.Version, out var ground))
            {
                redactions.Add(new Redaction(entry.Version, "entry", ground));
                continue;
            }
            var what = Redact(entry.What, others, ThirdPartyText);
            if (!ReferenceEquals(what, entry.What)) redactions.Add(new Redaction(entry.Version, "what", ThirdPartyGround));
            var redactedStaff = Redact(what, staffNames, "[redacted: member of staff]");
            if (!ReferenceEquals(redactedStaff, what)) redactions.Add(new Redaction(entry.Version, "what", StaffNameGround));
            // Staff appear by role only: the name each event recorded is always left out.
            redactions.Add(new Redaction(entry.Version, "by", StaffNameGround));
            entries.Add(entry with { What = redactedStaff });
        }
        return new SubjectAccessContent(entries, redactions);
    }

    /// <summary>
    /// The entries of a subject access draft that may fall under an exemption: information about child abuse, serious
    /// harm, a withheld transparency notice, or a criminal investigation. Each flag's id is fixed by the export, the
    /// version and the reason, so the same draft always flags the same way.
    /// </summary>
    public static IReadOnlyList<SubjectAccessFlag> ExemptionFlags(Guid exportId, IReadOnlyList<(long Version, ICaseEvent Event)> events)
    {
        var flags = new List<SubjectAccessFlag>();
        CaseState? state = null;
        foreach (var (version, e) in events)
        {
            var before = state ?? new CaseState();
            state = CaseState.Evolve(state, e);
            foreach (var reason in ExemptionsOf(before, e).Distinct())
                flags.Add(new SubjectAccessFlag(FlagId(exportId, version, reason), version, reason));
        }
        return flags;
    }

    private static readonly ConcernCategory[] AbuseCategories =
        [ConcernCategory.Physical, ConcernCategory.Sexual, ConcernCategory.Psychological, ConcernCategory.Neglect, ConcernCategory.Exploitation, ConcernCategory.Domestic];

    private static IEnumerable<ExemptionReason> ExemptionsOf(CaseState before, ICaseEvent e)
    {
        switch (e)
        {
            case DisclosureRecorded d:
                if (d.Concerns.Any(c => AbuseCategories.Contains(c.Category) && ChildOrUnknown(before.FindPerson(c.PersonId), d.DisclosedAt)))
                    yield return ExemptionReason.ChildAbuse;
                if (d.Concerns.Any(c => c.Category is ConcernCategory.RiskToLife or ConcernCategory.SelfHarm)) yield return ExemptionReason.SeriousHarm;
                break;
            case RiskAssessmentRecorded r when r.Assessments.Any(a => a.ThreatToLife != ThreatToLife.None):
                yield return ExemptionReason.SeriousHarm;
                break;
            case TransparencyNoticeWithheld w:
                yield return ExemptionReason.TransparencyWithheld;
                if (w.Reason == WithholdReason.WouldPrejudiceInvestigation) yield return ExemptionReason.CriminalInvestigation;
                break;
            case EscalationMade m when m.Agency is Agency.Police101 or Agency.Police999:
                yield return ExemptionReason.CriminalInvestigation;
                break;
            case AgencyResponseRecorded a when before.FindEscalation(a.EscalationId)?.Made.Agency is Agency.Police101 or Agency.Police999:
                yield return ExemptionReason.CriminalInvestigation;
                break;
        }
    }

    private static bool ChildOrUnknown(PersonAtRisk? person, Instant at) => person is null || person.Age switch
    {
        { DateOfBirth: { } born } => Period.Between(born, at.InUtc().Date, PeriodUnits.Years).Years < 18,
        { Years: { } years } => years < 18,
        { Band: AgeBand.Age18To24 or AgeBand.Age25Plus } => false,
        _ => true,
    };

    private static Guid FlagId(Guid exportId, long version, ExemptionReason reason) =>
        DeterministicGuid.Of($"subject-access-flag\n{exportId:N}/{version.ToString(CultureInfo.InvariantCulture)}/{reason}");

    /// <summary>Agency: an escalation to that agency, or that agency's response to one.</summary>
    private static bool ConcernsAgency(CaseState before, ICaseEvent e, Agency? agency) => e switch
    {
        EscalationMade m => m.Agency == agency,
        AgencyResponseRecorded r => before.FindEscalation(r.EscalationId)?.Made.Agency == agency,
        _ => false,
    };

    /// <summary>MINIMUM-NECESSARY: an escalation as the agency it went to may see it: the facts, and exactly what was shared.</summary>
    private static string Shared(CaseState before, EscalationMade m)
    {
        var person = before.FindPerson(m.PersonId);
        var shared = m.InformationShared.Select(field => field switch
        {
            InformationShared.Name => $"name or reference: {Text(person?.Reference)}",
            InformationShared.DateOfBirth => $"date of birth: {(person?.Age.DateOfBirth is { } born ? born.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : AgeText(person?.Age))}",
            InformationShared.DisclosureSummary => "disclosure summary: " + string.Join(" / ", m.ReliesOn.Select(id => Text(before.FindDisclosure(id)?.Summary))),
            _ => $"{W(field.ToString())} (shared by the service; not held in this record)",
        });
        return $"{Words(m.Route.ToString())} escalation to {AgencyName(m.Agency)}. Shared (minimum necessary): {string.Join("; ", shared)}.";
    }

    /// <summary>What happened, in the glossary's words.</summary>
    public static string Describe(CaseState before, ICaseEvent e) => e switch
    {
        CaseOpened o => $"Case opened from the {W(o.Channel.ToString())} channel for service user {Text(o.ServiceUserReference)} ({AgeText(o.ServiceUserAge)}). Summary: {Text(o.Summary)}",
        NoteAdded n => $"Note: {Text(n.Text)}",
        PersonAdded p => $"Person at risk added: {Text(p.Reference)}, {Text(p.Description)} ({AgeText(p.Age)}).",
        PersonUpdated u => $"Person at risk {Person(before, u.PersonId)} updated: {AgeText(u.Age)}; needs for care and support: {YesNo(u.CareAndSupportNeeds)}; " +
                           $"experiencing or at risk of abuse or neglect: {YesNo(u.ExperiencingOrAtRiskOfAbuseOrNeglect)}; unable to protect themselves: {YesNo(u.UnableToProtectSelf)}.",
        DisclosureRecorded d => $"Disclosure made {Instant(d.DisclosedAt)} on the {W(d.Channel.ToString())} channel; concerns: " +
                                (d.Concerns.Count == 0 ? "none" : string.Join("; ", d.Concerns.Select(c => $"{W(c.Category.ToString())} ({W(c.Status.ToString())}) about {Person(before, c.PersonId)}"))) +
                                $". Summary: {Text(d.Summary)}",
        RiskAssessmentRecorded r => "Risk assessment: " + string.Join("; ", r.Assessments.Select(a =>
                                        $"{Person(before, a.PersonId)}: threat to life {W(a.ThreatToLife.ToString())}, current concerns " +
                                        (a.CurrentConcerns.Count == 0 ? "none" : string.Join(", ", a.CurrentConcerns.Select(c => W(c.ToString())))) +
                                        $", recommended route {W(a.RecommendedRoute.ToString())}" + (a.PeerExemption is { } x ? $", peer exemption: {Text(x.Reason)}" : ""))) +
                                    $". Rationale: {Text(r.Rationale)}",
        SafetyPlanAttemptRecorded s => $"Safety plan attempt: {W(s.Outcome.ToString())}. {Text(s.Reason)}",
        EscalationMade m => $"{Words(m.Route.ToString())} escalation to {AgencyName(m.Agency)} about {Person(before, m.PersonId)}" +
                            (m.OverrideId is null ? "" : ", under an approved policy override") +
                            $". Shared: {(m.InformationShared.Count == 0 ? "nothing" : string.Join(", ", m.InformationShared.Select(i => W(i.ToString()))))}.",
        NoEscalationDecisionRecorded n => $"Decision not to escalate: {Text(n.Reason)}",
        TransparencyNoticeSent t => $"Transparency notice sent via {Text(t.SentVia)}: {Text(t.Message)}",
        TransparencyNoticeWithheld w => $"Transparency notice withheld ({W(w.Reason.ToString())}): {Text(w.Detail)}",
        AgencyResponseRecorded a => $"Response from {AgencyName(before.FindEscalation(a.EscalationId)?.Made.Agency)}: {Text(a.Summary)}",
        OverrideRequested o => $"Policy override requested for a {W(o.Route.ToString())} escalation about {Person(before, o.PersonId)}: {Text(o.Justification)}",
        OverrideApproved o => $"Policy override approved: {Text(o.Justification)}",
        RequiredReportDelayed d => $"Mandatory report about {Person(before, d.PersonId)} delayed until {Instant(d.Until)}: {Text(d.Reason)}",
        CaseClosed c => $"Case closed: {Text(c.Reason)}",
        CaseReopened c => $"Case reopened: {Text(c.Reason)}",
        CaseRestricted r => $"Case restricted to {Counted(r.AllowedSubjects.Count + 1, "named member", "named members")} of staff: {Text(r.Reason)}",
        CaseRestrictionLifted => "Restriction lifted: staff see the case through their roles again.",
        BreakGlassAccessGranted g => $"Emergency access to the restricted case until {Instant(g.Until)}: {Text(g.Reason)}",
        CaseAllocated a => $"Case allocated to {Text(a.Name)}.",
        CaseUnallocated => "Case unallocated: alerts go to the duty address.",
        LegalHoldPlaced h => $"Legal hold placed: {Text(h.Reason)}",
        LegalHoldReleased => "Legal hold released.",
        RetentionKept k => $"Retention review: record kept until {Instant(k.KeepUntil)}: {Text(k.Reason)}",
        DestructionRequested d => $"Destruction of the record requested: {Text(d.Reason)}",
        CaseDataDestroyed d => $"Personal data destroyed (requested {Instant(d.RequestedAt)} by {RoleOf(d.RequestedBy)}, approved by a different lead).",
        ChronologyExported x => $"Chronology exported for {W(x.Audience.ToString())}" + (x.Agency is { } ag ? $" ({AgencyName(ag)})" : "") +
                                (x.Recipient.Length == 0 ? "" : $" to {Text(x.Recipient)}") + $", {Counted(x.Versions.Count, "entry", "entries")}." +
                                (x.Purpose.Length == 0 ? "" : $" Purpose: {Text(x.Purpose)}"),
        SubjectAccessDrafted s => $"Subject access export drafted up to version {s.UpToVersion}; {Counted(s.Flags.Count, "entry", "entries")} flagged for a decision.",
        SubjectAccessFlagDecided f => $"Subject access flag decided: {W(f.Decision.ToString())}" + (f.Ground.Length == 0 ? "." : $" ({Text(f.Ground)})."),
        SubjectAccessReleased => "Subject access export released.",
        _ => Words(e.GetType().Name) + ".",
    };

    /// <summary>The rule IDs an event was recorded under, where it records a decision.</summary>
    public static IReadOnlyList<string> RuleIdsOf(ICaseEvent e) => e switch
    {
        EscalationMade m => m.Decision.RuleIds,
        NoEscalationDecisionRecorded => [RuleIds.RecordNoEscalation],
        TransparencyNoticeSent => [RuleIds.Transparency],
        TransparencyNoticeWithheld => [RuleIds.TransparencyWithheld],
        AgencyResponseRecorded => [RuleIds.AgencyFeedback],
        OverrideRequested or OverrideApproved => [RuleIds.Override],
        RequiredReportDelayed => [RuleIds.MandatoryCsa],
        CaseRestricted or CaseRestrictionLifted => [RuleIds.NeedToKnow],
        BreakGlassAccessGranted => [RuleIds.BreakGlass],
        LegalHoldPlaced or LegalHoldReleased => [RuleIds.LegalHold],
        RetentionKept => [RuleIds.RetentionSchedule],
        DestructionRequested => [RuleIds.DestructionTwoLeads],
        CaseDataDestroyed d => d.RuleIds,
        _ => [],
    };

    /// <summary>Who, by role; with the name for audiences that may see staff names.</summary>
    public static string By(Actor actor, bool withName) =>
        withName && actor.Name.Trim().Length > 0 && !PersonalAttribute.IsDestroyed(actor.Name) ? $"{RoleOf(actor)} ({actor.Name})" : RoleOf(actor);

    public static string RoleOf(Actor actor)
    {
        var roles = Roles.All.Where(actor.HasRole).Select(r => Words(r)).ToList();
        return roles.Count == 0 ? "Staff" : string.Join(" and ", roles);
    }

    private static string Person(CaseState state, string personId) => state.FindPerson(personId) is { } p
        ? personId == CaseState.ServiceUserId ? $"the service user ({Text(p.Reference)})" : Text(p.Reference)
        : personId;

    private static string AgencyName(Agency? agency) => agency switch
    {
        Agency.Police999 => "police (999)",
        Agency.Ambulance999 => "ambulance (999)",
        Agency.ChildrensSocialCare => "children's social care",
        Agency.AdultSocialCare => "adult social care",
        Agency.Police101 => "police (101)",
        Agency.Lado => "the LADO",
        _ => "an agency",
    };

    private static string AgeText(Age? age) => age switch
    {
        { DateOfBirth: { } born } => $"born {born.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}",
        { Years: { } years } => $"aged {years}",
        { Band: { } band and not AgeBand.Unknown } => $"age band {W(band.ToString())}",
        _ => "age unknown",
    };

    private static string YesNo(bool? answer) => answer switch { true => "yes", false => "no", null => "not known" };

    /// <summary>An instant in a chronology's words: UK time with GMT or BST beside it, as the people who read one keep it.</summary>
    private static string Instant(Instant at) => UkTime(at);

    private static readonly DateTimeZone Uk = DateTimeZoneProviders.Tzdb["Europe/London"];

    /// <summary>
    /// An instant as a reader in the UK reads it, to the second, with GMT or BST beside it ("1 Jul 2026 16:00:05 BST" for
    /// 15:00:05Z): NodaTime's own time-zone database, so no host needs one. Instants as data stay UTC.
    /// </summary>
    public static string UkTime(Instant at)
    {
        var uk = at.InZone(Uk);
        return $"{uk.ToString("d MMM uuuu HH:mm:ss", CultureInfo.InvariantCulture)} {uk.GetZoneInterval().Name}";
    }

    /// <summary>A personal text as exported: "[destroyed]" once its key is gone.</summary>
    public static string Text(string? value) => value is null ? "" : PersonalAttribute.IsDestroyed(value) ? DestroyedText : value;

    /// <summary>A name from the vocabulary in the middle of a sentence: "Chat" as "chat".</summary>
    /// <summary>"1 entry", "2 entries".</summary>
    private static string Counted(int n, string one, string many) => $"{n} {(n == 1 ? one : many)}";

    private static string W(string pascal) => Words(pascal).ToLowerInvariant();

    /// <summary>"ChildrensSocialCare" as "childrens social care", "SafeguardingLead" as "Safeguarding lead".</summary>
    public static string Words(string pascal)
    {
        var builder = new StringBuilder(pascal.Length + 8);
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (i > 0 && char.IsUpper(c) && !char.IsUpper(pascal[i - 1])) builder.Append(' ');
            else if (i > 0 && char.IsDigit(c) && !char.IsDigit(pascal[i - 1])) builder.Append(' ');
            builder.Append(i == 0 ? c : char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }

    /// <summary>Each of <paramref name="secrets"/> (longest first) replaced in <paramref name="text"/>; the same instance when none occurs.</summary>
    private static string Redact(string text, IReadOnlyList<string> secrets, string replacement)
    {
        var result = text;
        foreach (var secret in secrets)
        {
            if (result.Contains(secret, StringComparison.OrdinalIgnoreCase)) result = result.Replace(secret, replacement, StringComparison.OrdinalIgnoreCase);
        }
        return result;
    }
}
