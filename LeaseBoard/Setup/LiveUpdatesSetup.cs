using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.Wall;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LeaseBoard.Setup;

/// <summary>Board events to browsers: the wall's feed, the board hub, kiosk access and — with <c>SignalR:Redis</c> — scale-out.</summary>
public static class LiveUpdatesSetup
{
    public const string RedisSetting = "SignalR:Redis";
    public const string WallPath = "/wall";

    public static WebApplicationBuilder AddLiveUpdates(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<WallOptions>().BindConfiguration(WallOptions.Section);
        builder.Services.AddSingleton<WallQueries>();
        builder.Services.AddSingleton<WallFeed>();

        builder.Services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, BoardReaderAuthentication>(BoardReaderAuthentication.SchemeName, null);
        builder.Services.AddAuthorizationBuilder().AddPolicy(BoardReaderAuthentication.Policy, p => p
            .AddAuthenticationSchemes(BoardReaderAuthentication.SchemeName)
            .RequireAuthenticatedUser());

        var signalR = builder.Services.AddSignalR();
        var redis = builder.Configuration[RedisSetting];
        if (!string.IsNullOrWhiteSpace(redis))
        {
            // One multiplexer for the relay; the hub's backplane keeps its own. Neither stops the app from
            // starting while Redis is down: they keep reconnecting, and the instance serves its own browsers meanwhile.
            builder.Services.AddSingleton<IConnectionMultiplexer>(_ =>
            {
                var options = ConfigurationOptions.Parse(redis);
                options.AbortOnConnectFail = false;
                return ConnectionMultiplexer.Connect(options);
            });
            signalR.AddStackExchangeRedis(redis, o =>
            {
                o.Configuration.AbortOnConnectFail = false;
                o.Configuration.ChannelPrefix = RedisChannel.Literal("leaseboard-hub");
            });
            builder.Services.AddHostedService<RedisBoardEventRelay>();
        }
        builder.Services.AddHostedService<BoardHubBridge>();
        return builder;
    }

    public static WebApplication MapLiveUpdates(this WebApplication app)
    {
        app.Use(GuardWallAsync);
        app.MapHub<BoardHub>(BoardHub.Path);
        return app;
    }

    /// <summary>
    /// The wall page allows anonymous requests so a kiosk can open it; this decides first: a right key
    /// passes, a wrong one gets a plain 403 page, no key needs a signed-in user. The page checks again.
    /// </summary>
    private static async Task GuardWallAsync(HttpContext http, Func<Task> next)
    {
        if (!HttpMethods.IsGet(http.Request.Method) || !http.Request.Path.Equals(WallPath, StringComparison.OrdinalIgnoreCase))
        {
            await next();
            return;
        }
        var options = http.RequestServices.GetRequiredService<IOptionsMonitor<WallOptions>>().CurrentValue;
        switch (WallAccessRules.Decide(http.User, http.Request.Query["key"].FirstOrDefault(), options))
        {
            case WallAccess.WrongKey:
                http.Response.StatusCode = StatusCodes.Status403Forbidden;
                http.Response.ContentType = "text/html; charset=utf-8";
                await http.Response.WriteAsync(RefusalPage);
                return;
            case WallAccess.NeedsSignIn:
                await http.ChallengeAsync();
                return;
            default:
                await next();
                return;
        }
    }

    private const string RefusalPage = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Wall · access refused</title>
        <style>body{background:#111;color:#eee;font:32px system-ui,sans-serif;display:flex;align-items:center;justify-content:center;height:100vh;margin:0}main{max-width:60ch;text-align:center}</style>
        </head><body><main data-testid="wall-refused"><h1>This wall key is not valid</h1>
        <p>Ask an admin for the current kiosk link (LeaseBoard:Wall:KioskKey), or open /wall signed in.</p></main></body></html>
        """;
}
