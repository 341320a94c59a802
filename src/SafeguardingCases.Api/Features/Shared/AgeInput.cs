using FluentValidation;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Shared;

/// <summary>Shape rules shared by the requests that record an age: years (0 to 130) or a band, not both.</summary>
public static class AgeRules
{
    public const int MaxYears = 130;

    /// <param name="prefix">Where the age sits in the body, e.g. <c>"serviceUser."</c>; empty at the top level.</param>
    public static void AddAgeRules<T>(this AbstractValidator<T> validator, Func<T, int?> years, Func<T, AgeBand?> band, string prefix = "")
    {
        validator.RuleFor(x => years(x)).InclusiveBetween(0, MaxYears).OverridePropertyName($"{prefix}ageYears")
            .WithMessage($"ageYears is between 0 and {MaxYears}.");
        validator.RuleFor(x => band(x)).IsInEnum().OverridePropertyName($"{prefix}ageBand");
        validator.RuleFor(x => x).Must(x => years(x) is null || band(x) is null).OverridePropertyName($"{prefix}ageYears")
            .WithMessage("Give ageYears or ageBand, not both.");
    }

    public static Age ToAge(int? years, AgeBand? band) =>
        years is not null ? new Age(years, null) : band is null or AgeBand.Unknown ? Age.Unknown : new Age(null, band);
}

/// <summary>Text limits at the edge.</summary>
public static class TextLimits
{
    public const int Reference = 200;
    public const int Summary = 4_000;
    public const int LongText = 10_000;
}
