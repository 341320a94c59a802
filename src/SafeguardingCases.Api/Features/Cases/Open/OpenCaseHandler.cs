using Mediator;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Cases.Open;

public sealed record OpenCaseCommand(Actor Actor, OpenCase Command) : IRequest<CaseCommandResult<OpenCaseResponse>>;

public sealed class OpenCaseHandler(CaseCommandRunner runner) : IRequestHandler<OpenCaseCommand, CaseCommandResult<OpenCaseResponse>>
{
    public async ValueTask<CaseCommandResult<OpenCaseResponse>> Handle(OpenCaseCommand request, CancellationToken cancellationToken)
    {
        var c = request.Command;
        return await runner.StartAsync(c.CaseId, request.Actor, ctx => CaseDecider.Open(c, ctx), after => new OpenCaseResponse(c.CaseId, after.Version), cancellationToken);
    }
}
