using FluentValidation;
using NodaTime;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Shared;

/// <summary>
/// Shape rules shared by the requests that record an age (AGE-CHILD): a date of birth (not in the future, not before
/// 1900), or years (0 to 130), or a band; at most one of them.
/// </summary>
public static class AgeRules
{
    public const int MaxYears = 130;
    public static readonly LocalDate EarliestBirth = new(1900, 1, 1);

    /// <param name="prefix">Where the age sits in the body, e.g. <c>"serviceUser."</c>; empty at the top level.</param>
    public static void AddAgeRules<T>(this AbstractValidator<T> validator, Func<T, LocalDate?> born, Func<T, int?> years, Func<T, AgeBand?> band,
        string prefix = "")
    {
        validator.RuleFor(x => born(x)).Must(d => d is null || (d >= EarliestBirth && d <= SystemClock.Instance.GetCurrentInstant().InUtc().Date))
            .OverridePropertyName($"{prefix}dateOfBirth").WithMessage("dateOfBirth is a date between 1900-01-01 and today.");
        validator.RuleFor(x => years(x)).InclusiveBetween(0, MaxYears).OverridePropertyName($"{prefix}ageYears")
            .WithMessage($"ageYears is between 0 and {MaxYears}.");
        validator.RuleFor(x => band(x)).IsInEnum().OverridePropertyName($"{prefix}ageBand");
        validator.RuleFor(x => x).Must(x => (born(x) is null ? 0 : 1) + (years(x) is null ? 0 : 1) + (band(x) is null ? 0 : 1) <= 1)
            .OverridePropertyName($"{prefix}ageYears").WithMessage("Give one of dateOfBirth, ageYears or ageBand.");
    }

    /// <summary>The age as given; null when none of the three is given (a caller decides what that means).</summary>
    public static Age? ToAgeOrNull(LocalDate? born, int? years, AgeBand? band) =>
        born is { } date ? Age.Born(date)
        : years is not null ? new Age(years, null)
        : band is null ? null
        : band == AgeBand.Unknown ? Age.Unknown : new Age(null, band);

    public static Age ToAge(LocalDate? born, int? years, AgeBand? band) => ToAgeOrNull(born, years, band) ?? Age.Unknown;
}

/// <summary>Text limits at the edge.</summary>
public static class TextLimits
{
    public const int Reference = 200;
    public const int Summary = 4_000;
    public const int LongText = 10_000;
}
