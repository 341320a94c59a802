using FastEndpoints;
using FluentValidation;
using NodaTime;

namespace SafeguardingCases.Api.Features.Audit;

/// <summary>A time range, <c>from</c> inclusive and <c>to</c> exclusive; by default the last 90 days.</summary>
public sealed class RangeRequest
{
    public static readonly Duration DefaultSpan = Duration.FromDays(90);
    public static readonly Duration MaxSpan = Duration.FromDays(366 * 5);

    public Instant? From { get; set; }
    public Instant? To { get; set; }

    public (Instant From, Instant To) Resolve(Instant now)
    {
        var to = To ?? now;
        return (From ?? to - DefaultSpan, to);
    }
}

public sealed class RangeValidator : Validator<RangeRequest>
{
    public RangeValidator()
    {
        RuleFor(x => x).Must(x => x.From is null || x.To is null || x.From < x.To).OverridePropertyName("from").WithMessage("from must be before to.");
        RuleFor(x => x).Must(x => x.From is null || x.To is null || x.To - x.From <= RangeRequest.MaxSpan).OverridePropertyName("to").WithMessage("The range is at most five years.");
    }
}
