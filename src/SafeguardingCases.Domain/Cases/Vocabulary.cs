using NodaTime;

namespace SafeguardingCases.Domain.Cases;

/// <summary>Who did something: the token's subject, display name and roles at the time.</summary>
public sealed record Actor(string Subject, string Name, IReadOnlyList<string> Roles)
{
    public bool HasRole(string role) => Roles.Contains(role, StringComparer.Ordinal);
}

/// <summary>The four roles of DESIGN.md, as they appear in the token's <c>role</c> claim.</summary>
public static class Roles
{
    public const string SafeguardingOfficer = nameof(SafeguardingOfficer);
    public const string Clinician = nameof(Clinician);
    public const string SafeguardingLead = nameof(SafeguardingLead);
    public const string Auditor = nameof(Auditor);

    public static readonly IReadOnlyList<string> All = [SafeguardingOfficer, Clinician, SafeguardingLead, Auditor];
}

/// <summary>Where a disclosure or case came from.</summary>
public enum Channel { Boards, Chat, Text }

/// <summary>An age recorded as a band when years are not known (AGE-CHILD).</summary>
public enum AgeBand { Under13, Age13To15, Age16To17, Age18To24, Age25Plus, Unknown }

/// <summary>Concern categories of POLICY.md section 2.</summary>
public enum ConcernCategory
{
    RiskToLife, SelfHarm, Physical, Sexual, Psychological, Neglect, SelfNeglect, Financial,
    Discriminatory, Domestic, ModernSlavery, Exploitation, Organisational, PositionOfTrust,
}

/// <summary>Whether the person is still in the situation (Current) or out of it (Historical).</summary>
public enum ConcernStatus { Current, Historical }

/// <summary>A clinician's view of the threat to a person's life.</summary>
public enum ThreatToLife { None, NotImmediate, Immediate }

/// <summary>Escalation routes: 999, non-emergency agencies, or confidentiality kept.</summary>
public enum Route { None, NonEmergency, Emergency }

/// <summary>Agencies an escalation can go to.</summary>
public enum Agency { Police999, Ambulance999, ChildrensSocialCare, AdultSocialCare, Police101, Lado }

/// <summary>The closed list of data an escalation may share (MINIMUM-NECESSARY).</summary>
public enum InformationShared { Name, DateOfBirth, Phone, Email, IpAddress, AddressOrLocation, DisclosureSummary }

/// <summary>How a safety-plan attempt ended (SAFETY-PLAN-FIRST).</summary>
public enum SafetyPlanOutcome { Agreed, NotPossible, BrokeDown, NotAttempted }

/// <summary>The only reasons a transparency notice may be withheld (TRANSPARENCY-WITHHELD).</summary>
public enum WithholdReason { WouldPutPersonAtRisk, WouldPrejudiceInvestigation, NoMeansOfContact }

/// <summary>Whether a case is open.</summary>
public enum CaseStatus { Open, Closed }

/// <summary>Which policy a disclosure is judged under (POLICY-VERSION).</summary>
public enum PolicyVersion { Legacy, Unified }

/// <summary>
/// A person's age as recorded (AGE-CHILD): a date of birth when known, else years, else a band, else unknown.
/// Years and bands are the age as recorded; a date of birth gives the exact age at any instant.
/// </summary>
public sealed record Age(int? Years, AgeBand? Band, [property: Personal] LocalDate? DateOfBirth = null)
{
    public static readonly Age Unknown = new(null, null);

    public static Age Born(LocalDate dateOfBirth) => new(null, null, dateOfBirth);
}

/// <summary>
/// MANDATORY-CSA: a clinician's judgement, in the risk assessment of a person aged 13 to 17, that sexual activity
/// disclosed about them was consensual between people of similar age (no coercion, exploitation or abuse of power).
/// </summary>
public sealed record PeerExemption([property: Personal] string Reason);

/// <summary>Who an export is for (DESIGN.md, Exports): staff, an agency, a court, or the person themselves.</summary>
public enum ExportAudience { Internal, Agency, Court, Subject }

/// <summary>Why an entry of a subject access draft may be exempt from disclosure, for a lead to decide.</summary>
public enum ExemptionReason { ChildAbuse, SeriousHarm, TransparencyWithheld, CriminalInvestigation }

/// <summary>A lead's decision on one flag of a subject access draft.</summary>
public enum FlagDecision { Release, Withhold }
