namespace SafeguardingCases.Domain.Policy;

/// <summary>The rule IDs of POLICY.md, in one place. Every decision and refusal cites these strings.</summary>
public static class RuleIds
{
    // 1. Who is at risk
    public const string AgeChild = "AGE-CHILD";
    public const string AgeUnknown = "AGE-UNKNOWN";
    public const string AdultAtRisk = "ADULT-AT-RISK";
    public const string AdultNotAtRisk = "ADULT-NOT-AT-RISK";

    // 2. What was disclosed, and when
    public const string PolicyVersion = "POLICY-VERSION";
    public const string CurrentInfo = "CURRENT-INFO";

    // 3. The unified policy
    public const string EmergencyLife = "EMERGENCY-LIFE";
    public const string SafetyPlanFirst = "SAFETY-PLAN-FIRST";
    public const string HistoricalNotEmergency = "HISTORICAL-NOT-EMERGENCY";
    public const string ChildSafeguarding = "CHILD-SAFEGUARDING";
    public const string AdultAtRiskSafeguarding = "ADULT-AT-RISK-SAFEGUARDING";
    public const string AdultNoNonEmergency = "ADULT-NO-NON-EMERGENCY";
    public const string PositionOfTrust = "POSITION-OF-TRUST";
    public const string MandatoryCsa = "MANDATORY-CSA";
    public const string ClinicianDecides = "CLINICIAN-DECIDES";
    public const string MinimumNecessary = "MINIMUM-NECESSARY";
    public const string NoDuplicateEscalation = "NO-DUPLICATE-ESCALATION";
    public const string RecordNoEscalation = "RECORD-NO-ESCALATION";

    // 4. What the service owes the user afterwards
    public const string Transparency = "TRANSPARENCY";
    public const string TransparencyWithheld = "TRANSPARENCY-WITHHELD";
    public const string CloseObligations = "CLOSE-OBLIGATIONS";
    public const string AgencyFeedback = "AGENCY-FEEDBACK";

    // 5. The legacy policy
    public const string LegacyLife = "LEGACY-LIFE";
    public const string LegacyPositionOfTrust = "LEGACY-POSITION-OF-TRUST";
    public const string LegacyNothingElse = "LEGACY-NOTHING-ELSE";

    // 6. Departing from the policy
    public const string Override = "OVERRIDE";

    // 8. Who may see a case
    public const string NeedToKnow = "NEED-TO-KNOW";
    public const string BreakGlass = "BREAK-GLASS";
    public const string RestrictionOwners = "RESTRICTION-OWNERS";
    public const string AccessLog = "ACCESS-LOG";

    // 9. Keeping and destroying records
    public const string RetentionSchedule = "RETENTION-SCHEDULE";
    public const string LegalHold = "LEGAL-HOLD";
    public const string PrivacyAtRest = "PRIVACY-AT-REST";
    public const string DestructionTwoLeads = "DESTRUCTION-TWO-LEADS";

    /// <summary>Every rule ID, in POLICY.md's order.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        AgeChild, AgeUnknown, AdultAtRisk, AdultNotAtRisk,
        PolicyVersion, CurrentInfo,
        EmergencyLife, SafetyPlanFirst, HistoricalNotEmergency, ChildSafeguarding, AdultAtRiskSafeguarding,
        AdultNoNonEmergency, PositionOfTrust, MandatoryCsa, ClinicianDecides, MinimumNecessary, NoDuplicateEscalation,
        RecordNoEscalation,
        Transparency, TransparencyWithheld, CloseObligations, AgencyFeedback,
        LegacyLife, LegacyPositionOfTrust, LegacyNothingElse,
        Override,
        NeedToKnow, BreakGlass, RestrictionOwners, AccessLog,
        PrivacyAtRest, RetentionSchedule, LegalHold, DestructionTwoLeads,
    ];
}
