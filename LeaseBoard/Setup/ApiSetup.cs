using System.Globalization;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using LeaseBoard.Features.Api;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Scalar.AspNetCore;

using LeaseBoard.Features.SignIn;

namespace LeaseBoard.Setup;

public static class ApiSetup
{
    public static WebApplicationBuilder AddApi(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(ApiOptions.Section).Get<ApiOptions>() ?? new ApiOptions();
        builder.Services.AddValidatedOptions<ApiOptions>(ApiOptions.Section);
        builder.Services.AddSingleton<ApiQueries>();
        builder.Services.AddSingleton<ApiWarmUp>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ApiWarmUp>());
        builder.Services.AddHealthChecks().AddCheck<ApiWarmUp>("warm-up", tags: ["ready"]);

        // Only bearer schemes count here: a browser's cookie never authorises an API call.
        string[] schemes = Principals.UsesEntraId(builder.Configuration)
            ? [ApiTokenAuthentication.SchemeName, Principals.EntraBearerScheme]
            : [ApiTokenAuthentication.SchemeName];
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ApiEndpoints.ReadPolicy, p => p.AddAuthenticationSchemes(schemes).RequireAuthenticatedUser()
                .RequireAssertion(c => AllowsApi(c.User, EntraScopes.AllowsRead, "read", "book", "admin"))) // a feed token opens only the feeds
            .AddPolicy(ApiEndpoints.BookPolicy, p => p.AddAuthenticationSchemes(schemes).RequireAuthenticatedUser()
                .RequireAssertion(c => AllowsApi(c.User, EntraScopes.AllowsBook, "book", "admin")));

        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            // Enums by name only (testKind 99 is no kind), numbers as numbers ("60" is no duration).
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        });
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true); // bad input → a problem with the reason
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            if (context.Exception is BadHttpRequestException bad)
            {
                context.ProblemDetails.Title = "Bad request";
                context.ProblemDetails.Detail = ApiClientErrors.Describe(bad);
                if (bad.InnerException is System.Text.Json.JsonException { Path: { Length: > 2 } path } && path.StartsWith("$.", StringComparison.Ordinal))
                    context.ProblemDetails.Extensions["field"] = path[2..];
            }
            else if (context.Exception is null && context.ProblemDetails.Status == 401 && string.IsNullOrEmpty(context.ProblemDetails.Detail))
            {
                context.ProblemDetails.Title = "Not signed in";
                context.ProblemDetails.Detail = "Send a personal access token (Authorization: Bearer lb_…, from the API tokens page) or an Entra ID access token.";
            }
            else if (context.Exception is null && context.ProblemDetails.Status == 403 && string.IsNullOrEmpty(context.ProblemDetails.Detail))
            {
                context.ProblemDetails.Title = "Not allowed";
                context.ProblemDetails.Detail = "This token's scope does not allow the operation (booking needs the 'book' scope; feed tokens open only the feeds).";
            }
            else if (context.Exception is not null)
            {
                context.ProblemDetails.Detail = "Something went wrong on our side; the request may not have been carried out. Try again, or tell an admin.";
            }
        });
        builder.Services.AddExceptionHandler<ApiClientErrors>(); // 4xx from binding: a problem and an Information line, not an error with a stack
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(ApiEndpoints.RateLimitPolicy, http => WarmUpToken.IsRehearsal(http.User) ? RateLimitPartition.GetNoLimiter("warm-up") : RateLimitPartition.GetFixedWindowLimiter(
                ApiCallers.RateLimitKey(http),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.RequestsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.AddPolicy(CalendarFeeds.RateLimitPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                CalendarFeeds.RateLimitKey(http),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = CalendarFeeds.RequestsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.OnRejected = async (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await Results.Problem(statusCode: 429, title: "Too many requests",
                    detail: $"This token may make {(context.HttpContext.Request.Path.StartsWithSegments("/feeds") ? CalendarFeeds.RequestsPerMinute : options.RequestsPerMinute)} requests a minute. Retry after {Math.Ceiling(retryAfter.TotalSeconds)} s.")
                    .ExecuteAsync(context.HttpContext);
            };
        });
        builder.Services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "LeaseBoard API";
                document.Info.Description = "Book test environments, wait for the lease and follow the run. Authenticate with a personal access token: Authorization: Bearer lb_… "
                    + ApiInput.TimeRule + $" A request body may have at most {ApiInput.MaxBodyBytes / 1024} kB (413 otherwise).";
                return Task.CompletedTask;
            });
            o.AddOperationTransformer(ApiExamples.AddAsync);
        });
        return builder;
    }

    /// <summary>
    /// API requests get problem details for errors and bare status codes; the pages' HTML error and
    /// not-found pages (registered before this) are switched off for them.
    /// </summary>
    public static WebApplication UseApiErrors(this WebApplication app)
    {
        app.UseWhen(IsApi, api =>
        {
            api.Use(next => context =>
            {
                if (context.Features.Get<IStatusCodePagesFeature>() is { } pages) pages.Enabled = false;
                return next(context);
            });
            api.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = e => e is BadHttpRequestException bad ? bad.StatusCode : 500 });
            api.UseStatusCodePages();
            api.Use(ApiInput.LimitBodyAsync);
        });
        return app;
    }

    /// <summary>A personal access token of one of the scopes, or an Entra ID access token with one of LeaseBoard's named scopes (<see cref="EntraScopes"/>).</summary>
    private static bool AllowsApi(System.Security.Claims.ClaimsPrincipal user, Func<System.Security.Claims.ClaimsPrincipal, bool> entraAllows, params string[] scopes) =>
        user.FindFirst(ApiTokenAuthentication.ScopeClaim) is { } scope
            ? scopes.Contains(scope.Value)
            : EntraScopes.IsEntraAccessToken(user) && entraAllows(user);

    public static bool IsApi(HttpContext context) => context.Request.Path.StartsWithSegments("/api");

    public static WebApplication MapApi(this WebApplication app)
    {
        app.UseRateLimiter();
        app.MapReservationApi();
        app.MapOpenApi().AllowAnonymous();
        // The reference must work air-gapped: its script is served from the package, and its fonts from Scalar's CDN are turned off.
        app.MapScalarApiReference("/api/docs", o => o.WithTitle("LeaseBoard API").DisableDefaultFonts()).AllowAnonymous();
        return app;
    }
}
