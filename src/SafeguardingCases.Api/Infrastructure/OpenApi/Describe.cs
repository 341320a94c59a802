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
        b.WithTags(tag).WithSummary(summary).Accepts<TRequest>("application/json").Produces<TResponse>(status)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(413).ProducesProblem(422)
            .ProducesProblem(503);
        if (onCase) b.ProducesProblem(404).ProducesProblem(409).ProducesProblem(412);
        return b;
    }

    /// <summary>A read: <typeparamref name="TResponse"/> out, or a problem.</summary>
    public static RouteHandlerBuilder Read<TResponse>(this RouteHandlerBuilder b, string tag, string summary, bool onCase = true)
    {
        b.WithTags(tag).WithSummary(summary).Produces<TResponse>(200).ProducesProblem(400).ProducesProblem(401).ProducesProblem(403)
            .ProducesProblem(503);
        if (onCase) b.ProducesProblem(404);
        return b;
    }
}
