using NodaTime;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Domain.Policy;

/// <summary>POLICY.md section 1: who is at risk. Each rule ID below is one function.</summary>
public static partial class Rules
{
    /// <summary>
    /// Classifies a person at an instant (the disclosure's <c>disclosedAt</c>, or now): AGE-CHILD, AGE-UNKNOWN,
    /// ADULT-AT-RISK or ADULT-NOT-AT-RISK, with the rule that decided it.
    /// </summary>
    public static (PersonClassification Classification, string RuleId) Classify(PersonAtRisk person, Instant at) =>
        AgeChild(person.Age, at) switch
        {
            null => (PersonClassification.UnknownTreatedAsChild, RuleIds.AgeUnknown),
            true => (PersonClassification.Child, RuleIds.AgeChild),
            false when AdultAtRisk(person) => (PersonClassification.AdultAtRisk, RuleIds.AdultAtRisk),
            false => (PersonClassification.AdultNotAtRisk, RuleIds.AdultNotAtRisk),
        };

    /// <summary>
    /// AGE-CHILD: under 18 at the instant is a child. From a date of birth, the exact age then; from years or a band,
    /// the age as recorded (the service rarely knows more). AGE-UNKNOWN: null when no age is recorded, so the caller
    /// treats the person as a child (the more protective route) and says so.
    /// </summary>
    public static bool? AgeChild(Age age, Instant at) => age switch
    {
        { DateOfBirth: { } born } => YearsAt(born, at) < 18,
        { Years: { } years } => years < 18,
        { Band: AgeBand.Under13 or AgeBand.Age13To15 or AgeBand.Age16To17 } => true,
        { Band: AgeBand.Age18To24 or AgeBand.Age25Plus } => false,
        _ => null,
    };

    /// <summary>The person's age in whole years at an instant, or null when only a band or nothing is recorded.</summary>
    public static int? AgeInYears(Age age, Instant at) => age switch
    {
        { DateOfBirth: { } born } => YearsAt(born, at),
        { Years: { } years } => years,
        _ => null,
    };

    /// <summary>Aged 13 to 17 at the instant (the MANDATORY-CSA peer exemption's age range).</summary>
    public static bool AgedThirteenToSeventeen(Age age, Instant at) => AgeInYears(age, at) is { } years
        ? years is >= 13 and <= 17
        : age.Band is AgeBand.Age13To15 or AgeBand.Age16To17;

    /// <summary>
    /// ADULT-AT-RISK: all three tests hold and are recorded: care and support needs; experiencing or at risk of abuse
    /// or neglect; unable to protect themselves because of those needs. An answer not recorded counts as no.
    /// </summary>
    public static bool AdultAtRisk(PersonAtRisk person) =>
        person.CareAndSupportNeeds == true && person.ExperiencingOrAtRiskOfAbuseOrNeglect == true && person.UnableToProtectSelf == true;

    /// <summary>ADULT-NOT-AT-RISK: every other adult. Stated for grep; <see cref="Classify"/> applies it.</summary>
    public static bool AdultNotAtRisk(PersonAtRisk person, Instant at) => Classify(person, at).Classification == PersonClassification.AdultNotAtRisk;

    /// <summary>Children and people of unknown age (treated as children) are judged by the child rules.</summary>
    public static bool ChildLike(PersonClassification classification) =>
        classification is PersonClassification.Child or PersonClassification.UnknownTreatedAsChild;

    private static int YearsAt(LocalDate born, Instant at) => Period.Between(born, at.InUtc().Date, PeriodUnits.Years).Years;
}
