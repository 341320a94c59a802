using FastEndpoints;
using FluentValidation;
using Mediator;
using NodaTime;
using SafeguardingCases.Api.Features.Cases;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.AsOf;

/// <summary>Either <c>version</c> (1..current) or <c>at</c> (an instant), not both.</summary>
public sealed class AsOfRequest
{
    public long? Version { get; set; }
    public Instant? At { get; set; }
}

public sealed class AsOfValidator : Validator<AsOfRequest>
{
    public AsOfValidator()
    {
        RuleFor(x => x).Must(x => x.Version is null != x.At is null).OverridePropertyName("version").WithMessage("Give version or at, not both.");
        RuleFor(x => x.Version).GreaterThanOrEqualTo(1);
    }
}

/// <summary>GET /cases/{id}/as-of?version=N or ?at=instant: the case as it stood then; 404 before it began or past its end.</summary>
public sealed class GetAsOfEndpoint(ISender sender) : Endpoint<AsOfRequest, CaseView>
{
    public override void Configure()
    {
        Get("/cases/{id}/as-of");
        Roles(R.Auditor, R.SafeguardingLead);
        Description(b => b.Read<CaseView>("Audit", "The case as it stood at a version or an instant"), clearDefaults: true);
    }

    public override async Task HandleAsync(AsOfRequest req, CancellationToken ct)
    {
        var view = await sender.Send(new GetAsOfQuery(Route<Guid>("id"), req.Version, req.At), ct);
        await this.SendCaseReadAsync(view, view?.Version ?? 0);
    }
}
