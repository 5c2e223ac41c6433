using System.Net;
using System.Net.Http.Headers;
using LeaseBoard.Domain;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LeaseBoard.Tests.Features.Telemetry;

/// <summary>
/// One app host (in-memory server, no job server, a fake clock the tests drive) whose environments are named
/// <c>metrics-1</c> … <c>metrics-5</c>, so the series it reports are told apart from those of the other hosts and harnesses in
/// the test process (a meter provider hears every meter called LeaseBoard in the process). metrics-1's runs crash half-way
/// and its resets fail, metrics-2's runs hang at once; the hang timeout is a minute. Callers from 203.0.113.0/24 may scrape without signing in;
/// the test host, and only it, takes a request's remote address from the header <see cref="RemoteAddressHeader"/>.
/// </summary>
public sealed class MetricsHost : IAsyncLifetime
{
    public const string RemoteAddressHeader = "X-Test-Remote-Address";
    public const string AllowedNetwork = "203.0.113.0/24";

    public MetricsHost()
    {
        var settings = new Dictionary<string, string?>
        {
            ["LeaseBoard:Telemetry:MetricsNetworks:0"] = AllowedNetwork,
            // Its own meter: the other hosts of this test process make meters named LeaseBoard too (see MeterNameSetting).
            [LeaseBoard.Features.Telemetry.LeaseBoardTelemetry.MeterNameSetting] = "LeaseBoard.MetricsTests",
            ["LeaseBoard:Leases:HangTimeout"] = "00:01:00",
            ["LeaseBoard:Framework:Simulated:Faults:metrics-1:FailReset"] = "true",
            ["LeaseBoard:Framework:Simulated:Faults:metrics-1:CrashAtPercent"] = "50",
            ["LeaseBoard:Framework:Simulated:Faults:metrics-2:HangAtPercent"] = "0",
            ["LeaseBoard:Framework:Simulated:BaseHealthLatencyMs"] = "0",
        };
        for (var i = 0; i < 5; i++)
        {
            settings[$"LeaseBoard:Environments:{i}:Key"] = $"metrics-{i + 1}";
            settings[$"LeaseBoard:Environments:{i}:Name"] = $"Metrics {i + 1}";
        }
        Factory = new LeaseBoardAppFactory(settings: settings)
        {
            Clock = Clock,
            ConfigureServices = services => services.AddTransient<IStartupFilter, RemoteAddressFromHeader>(),
        };
    }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(DateTime.UtcNow.Ticks - DateTime.UtcNow.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero));
    public LeaseBoardAppFactory Factory { get; }
    public DateTime Now => Clock.GetUtcNow().UtcDateTime;

    public Task InitializeAsync()
    {
        _ = Factory.Server;
        return Task.CompletedTask;
    }

    /// <summary>A client with its own cookies that does not follow redirects.</summary>
    public HttpClient Client(string? token = null, string? remoteAddress = null)
    {
        var client = Factory.CreateClient(new() { AllowAutoRedirect = false });
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (remoteAddress is not null) client.DefaultRequestHeaders.Add(RemoteAddressHeader, remoteAddress);
        return client;
    }

    public async Task<string> TokenAsync(Actor owner, ApiScope scope)
    {
        if (owner.IsAdmin) await Factory.Services.GetRequiredService<LeaseBoard.Features.SignIn.PeopleService>().RecordSignInAsync(owner);
        var (created, error) = await Factory.Services.GetRequiredService<ApiTokenService>().CreateAsync(owner, "metrics tests", scope, 30);
        Assert.True(created is not null, error);
        return created.Token;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    /// <summary>First in the pipeline: the connection's remote address as the header says (the test server has none of its own).</summary>
    private sealed class RemoteAddressFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (IPAddress.TryParse(context.Request.Headers[RemoteAddressHeader].ToString(), out var address))
                    context.Connection.RemoteIpAddress = address;
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}

/// <summary>
/// /metrics tests run alone. A meter provider hears every meter called LeaseBoard in the process and folds the instruments
/// of the same name into one stream, and when any of those meters is disposed (another test's host or harness ending) the
/// stream ends for all of them, so this host's series could vanish between a lease and the scrape. An app process has one
/// host, so this is the test process's problem only.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "Metrics scrapes";
}
