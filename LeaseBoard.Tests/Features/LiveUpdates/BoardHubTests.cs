using System.Diagnostics;
using System.Net;
using LeaseBoard.Domain;
using LeaseBoard.Features.Leases;
using Microsoft.Extensions.DependencyInjection;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Tests.TestSupport;
using Microsoft.AspNetCore.SignalR.Client;

namespace LeaseBoard.Tests.Features.LiveUpdates;

/// <summary>A host of its own (job server off) with a kiosk key, on a loopback port.</summary>
public sealed class KioskHostFixture : IAsyncLifetime
{
    public const string KioskKey = "wall-kiosk-key-for-tests";

    public LeaseBoardAppFactory Factory { get; } = new(settings: new Dictionary<string, string?> { ["LeaseBoard:Wall:KioskKey"] = KioskKey });
    public Uri BaseAddress { get; private set; } = default!;
    public IServiceProvider Services => Factory.Services;

    public Task InitializeAsync()
    {
        BaseAddress = Factory.StartOnLoopbackPort();
        return Task.CompletedTask;
    }

    public HttpClient CreateClient(CookieContainer? cookies = null) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies ?? new CookieContainer(), UseCookies = true })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    public Task DisposeAsync() => Factory.DisposeAsync().AsTask();
}

public sealed class BoardHubTests(KioskHostFixture host) : IClassFixture<KioskHostFixture>
{
    [Fact]
    public async Task A_hub_client_with_the_kiosk_key_receives_the_environment_change_within_a_second_of_a_lease_starting()
    {
        await using var client = await BoardHubClient.ConnectAsync(host.BaseAddress, KioskHostFixture.KioskKey);
        var environmentId = await BoardScenario.EnvironmentIdAsync(host.Services, "env-2");
        // A first lease elsewhere warms the host up (JIT, first queries): the figure is about the push, not a cold start.
        var warmUpEnvironment = await BoardScenario.EnvironmentIdAsync(host.Services, "env-3");
        await BoardScenario.StartLeaseNowAsync(host.Services, "env-3", "Warm-up");
        await client.WaitForAsync<EnvironmentChanged>(e => e.EnvironmentId == warmUpEnvironment, TimeSpan.FromSeconds(10));

        // The lease has started when the engine has committed it and published the change: that moment
        // (taken from the host's own publisher) to the client's receipt is the push, bounded at 1 s.
        long committed = 0;
        using var tap = host.Services.GetRequiredService<BoardEvents>().Subscribe(e =>
        {
            if (e is EnvironmentChanged { EnvironmentKey: "env-2", State: EnvironmentState.Leased }) Interlocked.CompareExchange(ref committed, Stopwatch.GetTimestamp(), 0);
            return Task.CompletedTask;
        });
        var reservationId = await BoardScenario.ScheduleNowAsync(host.Services, "env-2", "Hub push check");
        var started = Stopwatch.GetTimestamp();
        await host.Services.GetRequiredService<LeaseEngine>().StartLeaseAsync(reservationId, CancellationToken.None);
        var (change, at) = await client.WaitForAsync<EnvironmentChanged>(
            e => e.EnvironmentId == environmentId && e.State == EnvironmentState.Leased, TimeSpan.FromSeconds(5));

        var push = Stopwatch.GetElapsedTime(Interlocked.Read(ref committed), at);
        Assert.True(push < TimeSpan.FromSeconds(1), $"received {push.TotalMilliseconds:0} ms after the lease start was committed");
        var total = Stopwatch.GetElapsedTime(started, at);
        Assert.True(total < TimeSpan.FromSeconds(5), $"received {total.TotalMilliseconds:0} ms after the engine was asked to start the lease");
        Assert.Equal("env-2", change.EnvironmentKey);
        Assert.Null(change.Origin);
        await client.WaitForAsync<ReservationChanged>(e => e.ReservationId == reservationId && e.State == ReservationState.Active, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_signed_in_user_may_connect_without_a_key()
    {
        var cookies = new CookieContainer();
        using (var http = host.CreateClient(cookies))
            Assert.Equal(HttpStatusCode.Redirect, (await http.SignInAsync("Hub Reader")).StatusCode);

        await using var client = await BoardHubClient.ConnectAsync(host.BaseAddress, cookies: cookies);
        Assert.Equal(HubConnectionState.Connected, client.Connection.State);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    [InlineData("")]
    public async Task A_client_without_sign_in_or_with_a_wrong_key_is_refused(string? key)
    {
        await using var client = BoardHubClient.Create(host.BaseAddress, key);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.Connection.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task The_hub_exposes_no_method_a_client_can_call()
    {
        Assert.Empty(typeof(BoardHub).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.DeclaredOnly));
        await using var client = await BoardHubClient.ConnectAsync(host.BaseAddress, KioskHostFixture.KioskKey);
        await Assert.ThrowsAnyAsync<Exception>(() => client.Connection.InvokeAsync("QuarantineAsync", 1, "from a script"));
    }
}

public sealed class WallKioskAccessTests(KioskHostFixture host) : IClassFixture<KioskHostFixture>
{
    [Fact]
    public async Task The_right_kiosk_key_opens_the_wall_without_sign_in()
    {
        using var http = host.CreateClient();
        using var response = await http.GetAsync($"/wall?key={KioskHostFixture.KioskKey}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"wall-banner\"", html);
        Assert.Contains("data-testid=\"wall-tile\"", html);
    }

    [Fact]
    public async Task A_wrong_kiosk_key_gets_a_plain_refusal_page()
    {
        using var http = host.CreateClient();
        using var response = await http.GetAsync("/wall?key=guess");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("This wall key is not valid", html);
        Assert.DoesNotContain("wall-tile", html);
        Assert.DoesNotContain("Exception", html);
    }

    [Fact]
    public async Task Without_a_key_the_wall_needs_a_signed_in_user()
    {
        using var http = host.CreateClient();
        using var anonymous = await http.GetAsync("/wall");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.StartsWith("/signin", anonymous.Headers.Location!.PathAndQuery);

        await http.SignInAsync("Wall Watcher");
        using var signedIn = await http.GetAsync("/wall");
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.Contains("data-testid=\"wall-tile\"", await signedIn.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_kiosk_key_opens_only_the_wall()
    {
        using var http = host.CreateClient();
        using var book = await http.GetAsync($"/book?key={KioskHostFixture.KioskKey}");
        Assert.Equal(HttpStatusCode.Redirect, book.StatusCode);
        using var admin = await http.GetAsync($"/admin?key={KioskHostFixture.KioskKey}");
        Assert.Equal(HttpStatusCode.Redirect, admin.StatusCode);
    }
}
