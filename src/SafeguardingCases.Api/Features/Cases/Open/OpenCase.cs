using System.ComponentModel.DataAnnotations;
using FastEndpoints;
using FluentValidation;
using Mediator;
using NodaTime;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Cases.Open;

public sealed record ServiceUserInput([property: Required] string? Reference, LocalDate? DateOfBirth, int? AgeYears, AgeBand? AgeBand);

public sealed record OpenCaseRequest(Channel? Channel, string? SourceReference, ServiceUserInput? ServiceUser, string? Summary);

public sealed record OpenCaseResponse(Guid Id, long Version);

public sealed class OpenCaseValidator : Validator<OpenCaseRequest>
{
    public OpenCaseValidator()
    {
        RuleFor(x => x.Channel).NotNull().IsInEnum();
        RuleFor(x => x.SourceReference).NotEmpty().MaximumLength(TextLimits.Reference);
        RuleFor(x => x.Summary).NotEmpty().MaximumLength(TextLimits.Summary);
        RuleFor(x => x.ServiceUser).NotNull();
        RuleFor(x => x.ServiceUser!.Reference).NotEmpty().MaximumLength(TextLimits.Reference).When(x => x.ServiceUser is not null)
            .OverridePropertyName("serviceUser.reference");
        this.AddAgeRules(x => x.ServiceUser?.DateOfBirth, x => x.ServiceUser?.AgeYears, x => x.ServiceUser?.AgeBand, prefix: "serviceUser.");
    }
}

/// <summary>POST /cases: an officer opens a case from a worrying post, chat or text.</summary>
public sealed class OpenCaseEndpoint(ISender sender) : Endpoint<OpenCaseRequest, OpenCaseResponse>
{
    public override void Configure()
    {
        Post("/cases");
        Roles(Domain.Cases.Roles.SafeguardingOfficer);
        Description(b => b.Command<OpenCaseRequest, OpenCaseResponse>("Cases", "Open a case", onCase: false), clearDefaults: true);
    }

    public override async Task HandleAsync(OpenCaseRequest req, CancellationToken ct)
    {
        var user = req.ServiceUser!;
        var caseId = IdempotencyKey.NewCaseId(IdempotencyKey.Of(HttpContext));
        var result = await sender.Send(new OpenCaseCommand(User.ToActor(), new OpenCase(caseId, req.Channel!.Value, req.SourceReference!,
            user.Reference!, AgeRules.ToAge(user.DateOfBirth, user.AgeYears, user.AgeBand), req.Summary!),
            Remembering.For(HttpContext, StatusCodes.Status201Created, LocationOf(caseId))), ct);
        await this.SendCaseResultAsync(result, StatusCodes.Status201Created, opened => LocationOf(opened.Id));
    }

    private static string LocationOf(Guid caseId) => $"/api/v1/cases/{caseId}";
}

public sealed record OpenCaseCommand(Actor Actor, OpenCase Command, Remembering? Remembering) : ICaseCommand<OpenCaseResponse>
{
    public Guid CaseId => Command.CaseId;

    public long? ExpectedVersion => null;
}

public sealed class OpenCaseHandler(CaseCommandRunner runner) : CaseCommandHandler<OpenCaseCommand, OpenCaseResponse>(runner)
{
    protected override bool Opens => true;

    protected override Decision Decide(CaseState state, OpenCaseCommand command, CommandContext context) => CaseDecider.Open(command.Command, context);

    protected override OpenCaseResponse Respond(OpenCaseCommand command, CaseState after, long version) => new(command.CaseId, after.Version);
}
