using FastEndpoints;
using FluentValidation;
using Mediator;
using NodaTime;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Access.BreakGlass;

/// <summary>
/// BREAK-GLASS settings: how long an access lasts (<c>Access__BreakGlassDuration</c>, default one hour) and the
/// longest anyone may be given (<c>Access__BreakGlassMaxDuration</c>, default four hours); a duration over the cap
/// stops start-up.
/// </summary>
public sealed record AccessOptions(Duration BreakGlassDuration, Duration BreakGlassMaxDuration)
{
    public const string SectionName = "Access";

    public static AccessOptions Bind(IConfiguration configuration)
    {
        var key = $"{SectionName}:BreakGlassDuration";
        var duration = Infrastructure.Configuration.Settings.ReadDuration(configuration, key) ?? Duration.FromHours(1);
        var max = Infrastructure.Configuration.Settings.ReadDuration(configuration, $"{SectionName}:BreakGlassMaxDuration") ?? Duration.FromHours(4);
        if (duration > max)
            throw Infrastructure.Configuration.Settings.Invalid(key, configuration[key]!,
                $"at most Access__BreakGlassMaxDuration ({Infrastructure.Json.IsoDurationConverter.Format(max)})");
        return new AccessOptions(duration, max);
    }
}

public sealed record BreakGlassRequest(string? Reason);

/// <summary>The grant: the caller may open the case until <c>until</c>.</summary>
public sealed record BreakGlassResponse(Guid BreakGlassId, Instant Until, long Version);

public sealed class BreakGlassValidator : Validator<BreakGlassRequest>
{
    public BreakGlassValidator() => RuleFor(x => x.Reason).NotEmpty().MaximumLength(TextLimits.Summary);
}

/// <summary>
/// POST /cases/{id}/break-glass: someone not named in a restricted case's restriction opens it in an emergency by
/// recording why (a case event, so it is in the tamper-evident record); the access lasts Access__BreakGlassDuration.
/// </summary>
public sealed class BreakGlassEndpoint(ISender sender, AccessOptions options) : CaseCommandEndpoint<BreakGlassRequest, BreakGlassResponse>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/break-glass");
        Roles(R.SafeguardingOfficer, R.Clinician, R.SafeguardingLead, R.Auditor);
        Description(b => b.Command<BreakGlassRequest, BreakGlassResponse>("Access",
            "Open a restricted case in an emergency, saying why (BREAK-GLASS); time-boxed and listed for auditors"), clearDefaults: true);
    }

    protected override CaseCommand<BreakGlassResponse> ToCommand(BreakGlassRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new BreakGlassCommand(caseId, expectedVersion, actor, new Domain.Cases.BreakGlass(Guid.NewGuid(), req.Reason!, options.BreakGlassDuration, options.BreakGlassMaxDuration));
}

public sealed record BreakGlassCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, Domain.Cases.BreakGlass Command) : CaseCommand<BreakGlassResponse>(CaseId, ExpectedVersion, Actor);

public sealed class BreakGlassHandler(CaseCommandRunner runner) : CaseCommandHandler<BreakGlassCommand, BreakGlassResponse>(runner)
{
    /// <summary>The one command staff who are not named may send to a restricted case.</summary>
    protected override bool NeedToKnow => false;

    protected override Decision Decide(CaseState state, BreakGlassCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override BreakGlassResponse Respond(BreakGlassCommand command, CaseState after, long version) =>
        new(command.Command.BreakGlassId, after.BreakGlassGrants.Single(g => g.BreakGlassId == command.Command.BreakGlassId).Until, version);
}
