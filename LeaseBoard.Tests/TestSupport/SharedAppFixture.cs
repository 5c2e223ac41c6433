using Microsoft.Extensions.DependencyInjection;
using System.Net;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// One running app (default configuration, Development, its own SQLite file) on a real loopback port,
/// shared by every test in the <see cref="SharedAppCollection"/> for the whole test run. The app will
/// hold process-wide static state (Hangfire), so tests that need a running default host join this
/// collection instead of starting hosts of their own.
/// </summary>
public sealed class SharedAppFixture : IAsyncLifetime
{
    public LeaseBoardAppFactory Factory { get; } = new(settings: new Dictionary<string, string?>
    {
        ["LeaseBoard:Leases:RunJobServer"] = "true",
        // Under the in-memory storage's 3-hour cap on every expiry, so a test can tell the retention from the default.
        ["LeaseBoard:Leases:FailedJobRetention"] = "01:00:00",
    });

    public Uri BaseAddress { get; private set; } = default!;

    public IServiceProvider Services => Factory.Services;

    public async Task InitializeAsync()
    {
        BaseAddress = Factory.StartOnLoopbackPort();
        // Tests here rely on the job server: wait until it has registered itself.
        var monitoring = Factory.Services.GetRequiredService<Hangfire.JobStorage>().GetMonitoringApi();
        await Eventually.TrueAsync(() => monitoring.Servers().Count > 0, TimeSpan.FromSeconds(30), "the shared host's Hangfire server started");
        // And ready, as a deployed instance is before a load balancer sends it traffic: /health/ready answers 503 until the warm-up ends.
        await Factory.Services.GetRequiredService<LeaseBoard.Features.Api.ApiWarmUp>().Warm.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// A client of its own (own cookies) that does not follow redirects, so a test sees each 302.
    /// The factory's own clients can't do that on Kestrel: their inner handler follows redirects itself.
    /// </summary>
    public HttpClient CreateClient() =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    public Task DisposeAsync() => Factory.DisposeAsync().AsTask();
}

[CollectionDefinition(Name)]
public sealed class SharedAppCollection : ICollectionFixture<SharedAppFixture>
{
    public const string Name = "Shared app";
}
