namespace SafeguardingCases.Api.Infrastructure.OpenApi;

/// <summary>
/// The OpenAPI description of the two kinds of endpoint, so every command and every read declares the same
/// problem responses. Used with FastEndpoints' <c>Description(..., clearDefaults: true)</c>.
/// </summary>
public static class Describe
{
    /// <summary>A command: JSON body in, <typeparamref name="TResponse"/> out, and every problem the contract names.</summary>
    public static RouteHandlerBuilder Command<TRequest, TResponse>(this RouteHandlerBuilder b, string tag, string summary, int status = 201, bool onCase = true)
        where TRequest : notnull
    {
        if (typeof(TRequest) != typeof(FastEndpoints.EmptyRequest)) b.Accepts<TRequest>("application/json").Produces<Problem>(415, Http.Problems.ContentType);
        b.WithTags(tag).WithSummary(summary).WithDescription(CommandDescription(summary, onCase))
            .Produces<TResponse>(status)
            .Produces<ValidationProblem>(400, Http.Problems.ContentType).Produces<Problem>(401, Http.Problems.ContentType)
            .Produces<RefusalProblem>(403, Http.Problems.ContentType).Produces<Problem>(413, Http.Problems.ContentType)
            .Produces<RefusalProblem>(422, Http.Problems.ContentType).Produces<Problem>(429, Http.Problems.ContentType)
            .Produces<Problem>(503, Http.Problems.ContentType);
        if (onCase)
        {
            b.Produces<Problem>(404, Http.Problems.ContentType).Produces<RefusalProblem>(409, Http.Problems.ContentType)
                .Produces<Problem>(412, Http.Problems.ContentType);
        }
        return b;
    }

    /// <summary>A read: <typeparamref name="TResponse"/> out, or a problem.</summary>
    public static RouteHandlerBuilder Read<TResponse>(this RouteHandlerBuilder b, string tag, string summary, bool onCase = true)
    {
        b.WithTags(tag).WithSummary(summary).WithDescription(summary + (onCase ? ". Answers with the case's version as ETag; every read of a case is in the access log." : "."))
            .Produces<TResponse>(200).Produces<ValidationProblem>(400, Http.Problems.ContentType)
            .Produces<Problem>(401, Http.Problems.ContentType).Produces<RefusalProblem>(403, Http.Problems.ContentType)
            .Produces<Problem>(429, Http.Problems.ContentType).Produces<Problem>(503, Http.Problems.ContentType);
        if (onCase) b.Produces<Problem>(404, Http.Problems.ContentType);
        return b;
    }

    /// <summary>
    /// A read sent as a POST, so what it looks for stays out of URLs and logs (POST /cases/search): described as a read,
    /// with its JSON body; no Idempotency-Key, nothing replayed.
    /// </summary>
    public static RouteHandlerBuilder ReadByPost<TRequest, TResponse>(this RouteHandlerBuilder b, string tag, string summary)
        where TRequest : notnull =>
        b.Read<TResponse>(tag, summary, onCase: false).Accepts<TRequest>("application/json").Produces<Problem>(415, Http.Problems.ContentType)
            .WithMetadata(new ReadSentAsPost());

    private static string CommandDescription(string summary, bool onCase) =>
        summary + ". Send an Idempotency-Key to retry safely: the first answer is stored with the command's events." +
        (onCase ? " Send If-Match with the case's ETag to act only on the version you saw (412 otherwise); without it the command applies to the case as it is." : "");
}

/// <summary>Endpoint metadata: a read sent as a POST (<see cref="Describe.ReadByPost{TRequest,TResponse}"/>).</summary>
public sealed record ReadSentAsPost;
