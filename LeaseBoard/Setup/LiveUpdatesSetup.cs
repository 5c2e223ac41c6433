using LeaseBoard.Features.LiveUpdates;
using Microsoft.AspNetCore.Authentication;
using StackExchange.Redis;

namespace LeaseBoard.Setup;

/// <summary>Board events to browsers: the board hub, who may read it and — with <c>SignalR:Redis</c> — scale-out.</summary>
public static class LiveUpdatesSetup
{
    public const string RedisSetting = "SignalR:Redis";

    public static WebApplicationBuilder AddLiveUpdates(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<BoardEvents>();
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
        app.MapHub<BoardHub>(BoardHub.Path);
        return app;
    }
}
