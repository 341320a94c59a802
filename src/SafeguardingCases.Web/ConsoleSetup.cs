using System.Net;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Authentication;
using SafeguardingCases.Web.Session;

namespace SafeguardingCases.Web;

/// <summary>
/// The staff console in the API's process: Razor components rendered on the server at <c>/</c> (static server
/// rendering: every page is plain HTML and every action a plain form post, so it needs no script, no WebSocket and no
/// browser storage), signed in with a cookie of its own whose access token stays on the server, and every read and
/// command made over HTTP to <c>/api/v1</c> with that token.
/// </summary>
public static class ConsoleSetup
{
    public static IServiceCollection AddStaffConsole(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var options = ConsoleOptions.Bind(configuration, environment);
        services.AddSingleton(options);
        services.AddRazorComponents();
        services.AddHttpContextAccessor();
        services.AddSingleton<ApiAddress>();
        services.AddSingleton<GlossaryCache>();
        services.AddTransient<AccessTokenHandler>();
        services.AddHttpClient(StaffApi.HttpClientName).AddHttpMessageHandler<AccessTokenHandler>();
        services.AddScoped<StaffApi>();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = options.SecureCookies ? "__Host-sg-console-af" : "sg-console-af";
            o.Cookie.SecurePolicy = options.SecureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            // Lax, as the session cookie: a Strict one is held back on a page opened from another site (an alert's link
            // in webmail, the way back from the identity provider), which then set a new one, and every form already
            // open in another tab was refused (400) with what was typed in it. A post from another site still goes
            // without either cookie, and every form carries its token.
            o.Cookie.SameSite = SameSiteMode.Lax;
        });
        var authentication = services.AddAuthentication().AddCookie(ConsoleAuth.Scheme, o =>
        {
            o.Cookie.Name = options.SecureCookies ? "__Host-sg-console" : "sg-console";
            o.Cookie.HttpOnly = true;
            o.Cookie.SecurePolicy = options.SecureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            // Lax, not Strict: coming back from the identity provider (another site) the browser would hold a Strict
            // cookie back from the first page after sign-in, which then asks to sign in again, round and round. Lax is
            // still never sent with a post from another site, and every form also carries its antiforgery token.
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.LoginPath = "/signin";
            o.LogoutPath = "/signout";
            o.AccessDeniedPath = "/";
            // Idle sign-out: the session lasts Console__IdleTimeout from the last request (renewed while in use).
            o.ExpireTimeSpan = options.IdleTimeout;
            o.SlidingExpiration = true;
            // A page asked for with a session that has ended (idle, signed out in another tab, or the provider stopped
            // renewing its token): the sign-in page says so, instead of appearing as if nobody had been signed in.
            o.Events.OnRedirectToLogin = context =>
            {
                var redirect = HasSessionCookie(context.HttpContext) ? $"{context.RedirectUri}&ended=1" : context.RedirectUri;
                context.Response.Redirect(redirect);
                return Task.CompletedTask;
            };
        });
        // The host provides where sessions are kept (the API: PostgreSQL, shared by its instances).
        services.AddOptions<CookieAuthenticationOptions>(ConsoleAuth.Scheme)
            .Configure<ITicketStore>((o, store) => o.SessionStore = store);
        if (options.OpenIdConnect is { } oidc)
        {
            ConsoleAuth.AddOpenIdConnect(authentication, oidc, requireHttpsMetadata: !environment.IsDevelopment());
            services.AddSingleton<AccessTokenRefresh>();
            services.AddOptions<CookieAuthenticationOptions>(ConsoleAuth.Scheme)
                .Configure<AccessTokenRefresh>((o, refresh) => o.Events.OnValidatePrincipal = refresh.ValidatePrincipalAsync);
        }
        return services;
    }

    /// <summary>Maps the console's pages and its style sheet; call after authentication and authorization.</summary>
    public static void MapStaffConsole(this WebApplication app)
    {
        app.UseAntiforgery();
        app.UseExpiredForms();
        app.MapGet("/console.css", () => Results.Stream(typeof(ConsoleSetup).Assembly.GetManifestResourceStream("console.css")!, "text/css"))
            .AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/signout", async (HttpContext http, ConsoleOptions options) =>
        {
            // Signed in at an identity provider: the session there ends too (RP-initiated logout), or on a shared
            // computer the next person to press Sign in would be signed straight back in as this one. A provider that
            // offers no end-session endpoint (the handler would throw: a 500) ends the console's session only, and
            // the sign-in page says the account there is still signed in.
            if (options.OpenIdConnect is not null && (await http.AuthenticateAsync(ConsoleAuth.Scheme)).Succeeded)
            {
                if (await ConsoleAuth.ProviderConfigurationAsync(http) is { EndSessionEndpoint.Length: > 0 })
                    return Results.SignOut(new AuthenticationProperties { RedirectUri = "/signin" }, [ConsoleAuth.Scheme, ConsoleAuth.OidcScheme]);
                await ConsoleAuth.SignOutAsync(http);
                return Results.Redirect(ConsoleAuth.SignedOutHereOnly);
            }
            await ConsoleAuth.SignOutAsync(http);
            return Results.Redirect("/signin");
        }).AllowAnonymous().ExcludeFromDescription();
        app.MapExportDownloads();
        app.MapRazorComponents<Components.App>().ExcludeFromDescription();
    }

    /// <summary>
    /// An address no endpoint has, outside <c>/api</c>, <c>/swagger</c> and <c>/health</c>, read with GET: the console's
    /// "Page not found" (404, in its layout) to someone signed in, the sign-in page to anyone else; never the API's JSON
    /// 401. Set as the request's endpoint after routing found none (a fallback route would also stand in the routing
    /// table for the API's paths, and take the 415 a body in the wrong content type gets there); call before
    /// authorization, which then asks for the console's cookie.
    /// </summary>
    public static void UseConsoleNotFound(this WebApplication app) => app.Use((http, next) =>
    {
        if (http.GetEndpoint() is null && IsConsolePath(http.Request.Path) && (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)))
            http.SetEndpoint(NotFound);
        return next(http);
    });

    /// <summary>
    /// A console form sent after its sender's session ended (idle past <c>Console__IdleTimeout</c>, or signed out in
    /// another tab): answered 401 in the console's frame with what was typed in it and
    /// "nothing was recorded", where the sign-in redirect it got before dropped it (a note someone spent twenty minutes
    /// writing). Only for a request carrying the console's session cookie, which the browser sends from this site alone
    /// (SameSite=Lax: never with a post from another site): what is shown is what that browser has just sent, back to
    /// it (no-store, as every console page); nothing of it is kept on the server or sent to the API. Call after authentication (an identity provider's
    /// answer to the sign-in callback is taken there, whatever cookie comes with it) and before authorization,
    /// which would redirect it.
    /// </summary>
    public static void UseEndedSessionForms(this WebApplication app) => app.Use(async (http, next) =>
    {
        if (!HttpMethods.IsPost(http.Request.Method) || !IsConsolePath(http.Request.Path) || http.Request.Path.StartsWithSegments("/signin")
            || !http.Request.HasFormContentType || !HasSessionCookie(http) || (await http.AuthenticateAsync(ConsoleAuth.Scheme)).Succeeded)
        {
            await next(http);
            return;
        }
        await ShowBackAsync(http, KeptForm.Why.SessionEnded, StatusCodes.Status401Unauthorized, next);
    });

    /// <summary>
    /// A console form whose antiforgery token this browser's session cannot send, refused by the framework with a bare
    /// 400 in its own words ("A valid antiforgery token was not provided...") and what was typed in it lost. It happens
    /// when someone signed in or out on the browser since the page was opened (another tab, a shared computer: the token
    /// was made for the session then), or when the key that protected the browser's antiforgery cookie is gone (retired
    /// with a key-encryption key). The sign-in form goes on to where it was going when this browser is
    /// signed in by now (a second tab's Sign in), or comes back saying the page had expired; any other is shown back as
    /// an ended session's is, 400, nothing sent. Call after <c>UseAntiforgery</c>, which only records the outcome.
    /// </summary>
    private static void UseExpiredForms(this WebApplication app) => app.Use(async (http, next) =>
    {
        // The outcome is set only for a form (whose content type the middleware checked first).
        if (http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: false } refused || !IsConsolePath(http.Request.Path))
        {
            await next(http);
            return;
        }
        // Looked at here: the form can be read (the framework throws on reading a form whose refusal nobody looked at).
        http.Features.Set<IAntiforgeryValidationFeature>(null);
        if (http.Request.Path.StartsWithSegments("/signin"))
        {
            var returnUrl = ConsoleAuth.LocalReturn(http.Request.Query["ReturnUrl"]);
            // No antiforgery cookie at all (rather than one this process cannot read): the browser did not keep the
            // cookie the page set, as one refusing this site's cookies does, and the page says that instead.
            var expired = http.Request.Cookies.ContainsKey(AntiforgeryCookie(http)) ? ConsoleAuth.SignInPageExpired : ConsoleAuth.SignInCookiesRefused;
            http.Response.Redirect((await http.AuthenticateAsync(ConsoleAuth.Scheme)).Succeeded
                ? returnUrl ?? "/"
                : returnUrl is null ? expired : $"{expired}&ReturnUrl={Uri.EscapeDataString(returnUrl)}");
            return;
        }
        await ShowBackAsync(http, KeptForm.Why.PageExpired, StatusCodes.Status400BadRequest, h =>
        {
            h.Features.Set(refused);
            return next(h);
        });
    });

    /// <summary>The form shown back in the console's frame (no-store, as every console page), nothing of it kept or sent to the API.</summary>
    private static async Task ShowBackAsync(HttpContext http, KeptForm.Why reason, int status, RequestDelegate next)
    {
        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(http.RequestAborted);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException)
        {
            // A form that cannot be read goes on as before.
            await next(http);
            return;
        }
        await new RazorComponentResult<Components.App>(new { Kept = KeptForm.From(reason, http.Request, form) }) { StatusCode = status }.ExecuteAsync(http);
    }

    private static string AntiforgeryCookie(HttpContext http) =>
        http.RequestServices.GetRequiredService<IOptions<AntiforgeryOptions>>().Value.Cookie.Name!;

    private static bool HasSessionCookie(HttpContext http) =>
        http.RequestServices.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(ConsoleAuth.Scheme).Cookie.Name is { } name
        && http.Request.Cookies.ContainsKey(name);

    private static readonly Endpoint NotFound = new(
        http => new RazorComponentResult<Components.App>(new { NotFound = true }) { StatusCode = StatusCodes.Status404NotFound }.ExecuteAsync(http),
        new EndpointMetadataCollection(new AuthorizeAttribute { AuthenticationSchemes = ConsoleAuth.Scheme }),
        "Console: page not found");

    /// <summary>
    /// What a person's browser is shown, as a page rather than the API's JSON, when a console page could not be served
    /// because the service cannot reach its database for the console's own needs (its sessions and the key ring that
    /// protects cookies and forms, both kept there): 503 with <c>Retry-After</c>. Plain HTML, none of the layout, whose
    /// navigation would need the same database.
    /// </summary>
    public static async Task WriteUnavailablePageAsync(HttpContext http, int retryAfterSeconds)
    {
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers.CacheControl = "no-store";
        http.Response.ContentType = "text/html; charset=utf-8";
        await http.Response.WriteAsync(UnavailablePage, http.RequestAborted);
    }

    private const string UnavailableHeading = "The service is unavailable";

    private const string UnavailablePage = $$"""
        <!DOCTYPE html>
        <html lang="en-GB">
        <head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" /><link rel="stylesheet" href="/console.css" />
        <title>{{UnavailableHeading}} · Safeguarding cases</title></head>
        <body><main id="main">
        <h1>{{UnavailableHeading}}</h1>
        <div role="alert" class="alert"><p>The service cannot reach its database just now, so this page could not be shown. Nothing was recorded.</p></div>
        <p>Try again in a minute: <a href="/">Work queues</a>. If it goes on, tell whoever runs the service.</p>
        </main></body>
        </html>
        """;

    /// <summary>
    /// The console's pages: a Content-Security-Policy that allows only this origin's style sheet and forms (no script
    /// at all), <c>no-store</c>, and no framing. Everything under <c>/api</c>, <c>/swagger</c> and <c>/health</c> is the API's.
    /// </summary>
    public static bool IsConsolePath(PathString path) =>
        !path.StartsWithSegments("/api") && !path.StartsWithSegments("/swagger") && !path.StartsWithSegments("/health");

    public const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>
    /// <see cref="ContentSecurityPolicy"/> for a console signing in here or at a provider: with OpenID Connect the sign-in form's answer redirects to
    /// the identity provider, and browsers hold a form's redirects to <c>form-action</c> too, so the provider's origin
    /// (and no other) is added there; without it, the browser stops sign-in at the console's own page.
    /// </summary>
    public static string ContentSecurityPolicyFor(OpenIdConnectSettings? openIdConnect) =>
        openIdConnect is { } oidc && Uri.TryCreate(oidc.Authority, UriKind.Absolute, out var authority)
            ? ContentSecurityPolicy.Replace("form-action 'self'", $"form-action 'self' {authority.GetLeftPart(UriPartial.Authority)}", StringComparison.Ordinal)
            : ContentSecurityPolicy;

    /// <summary>
    /// Whether a request was made on this machine directly (the console's own calls to the API): from a loopback
    /// address, and not relayed by a proxy (no <c>X-Forwarded-*</c> header, trusted or not).
    /// </summary>
    public static bool IsDirectLocalCall(HttpContext http) =>
        http.Connection.RemoteIpAddress is { } ip && IPAddress.IsLoopback(ip)
        && !http.Request.Headers.ContainsKey("X-Forwarded-For") && !http.Request.Headers.ContainsKey("X-Forwarded-Proto");
}
