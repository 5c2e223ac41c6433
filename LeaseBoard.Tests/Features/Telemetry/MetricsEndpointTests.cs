using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Leases;
using LeaseBoard.Tests.Host;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Features.Telemetry;

/// <summary>/metrics from the outside: the named series after real leases, and who may read them.</summary>
[Collection(MetricsCollection.Name)]
public sealed partial class MetricsEndpointTests(MetricsHost host, ITestOutputHelper output) : IClassFixture<MetricsHost>
{
    private static readonly Actor Admin = new("local:metrics-admin", "Mia Metrics", IsAdmin: true);
    private static readonly Actor Person = new("local:metrics-person", "Pat Person", IsAdmin: false);

    [Fact]
    public async Task After_leases_ran_metrics_shows_every_LeaseBoard_series_by_its_Prometheus_name()
    {
        using var api = host.Client(await host.TokenAsync(Admin, ApiScope.Book));
        var start = host.Now.Date.AddDays(2).AddHours(3).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var booking = new { environment = "metrics-5", start, durationMinutes = 60, title = "Metrics booking", testKind = "Load", testSpec = "" };
        using (var booked = await api.PostAsJsonAsync("/api/v1/reservations", booking)) Assert.Equal(HttpStatusCode.Created, booked.StatusCode);
        using (var taken = await api.PostAsJsonAsync("/api/v1/reservations", booking)) Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);

        // Two leases on the engine itself (no job server in this host): metrics-1 starts three seconds late, its test fails
        // half-way and the reset after it fails, so the failure is the infrastructure's; metrics-2's run hangs at once and is
        // stopped as hung after the hang timeout.
        var engine = host.Factory.Services.GetRequiredService<LeaseEngine>();
        var late = await SeedLeaseAsync("metrics-1", host.Now.AddSeconds(-3), "duration=1");
        var hanging = await SeedLeaseAsync("metrics-2", host.Now, "duration=10");
        await engine.StartLeaseAsync(late.Id, CancellationToken.None);
        await engine.StartLeaseAsync(hanging.Id, CancellationToken.None);
        host.Clock.Advance(TimeSpan.FromMinutes(2));
        await engine.CheckRunAsync(late.Id, CancellationToken.None);
        await engine.CheckRunAsync(hanging.Id, CancellationToken.None);
        Assert.Equal((TestRunState.Failed, RunAttribution.Test), ((await LoadAsync(late.Id)).Runs.Single().State, (await LoadAsync(late.Id)).Runs.Single().Attribution));
        Assert.Equal(TestRunState.Stopping, (await LoadAsync(hanging.Id)).Runs.Single().State);
        await host.Factory.Services.GetRequiredService<EnvironmentCare>().CleanupAsync(late.EnvironmentId, CancellationToken.None);
        Assert.Equal(RunAttribution.Infrastructure, (await LoadAsync(late.Id)).Runs.Single().Attribution);
        await host.Factory.Services.GetRequiredService<LeaseSupervisor>().SuperviseAsync(CancellationToken.None);

        using var admin = host.Client();
        (await admin.SignInAsAdminAsync("Ada Admin")).Dispose();
        // The exporter answers a scrape within its cache period (300 ms) with the previous scrape's text, and the access tests of
        // this class may have scraped just before: scrape until this test's leases show.
        var text = await Eventually.MatchesAsync(async () =>
        {
            using var response = await admin.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
            return await response.Content.ReadAsStringAsync();
        }, t => t.Contains("leaseboard_supervise_duration_seconds_count", StringComparison.Ordinal)
                && Value(t, "leaseboard_leases_started_total", L("environment", "metrics-2")) is not null, TimeSpan.FromSeconds(10), "a scrape after this test's leases");
        output.WriteLine(string.Join('\n', text.Split('\n').Where(l => l.Contains("leaseboard_", StringComparison.Ordinal) || l.StartsWith("# TYPE", StringComparison.Ordinal))));

        Assert.Equal(1, Value(text, "leaseboard_leases_started_total", L("environment", "metrics-1")));
        Assert.Equal(1, Value(text, "leaseboard_leases_started_total", L("environment", "metrics-2")));
        Assert.Equal(1, Value(text, "leaseboard_lease_start_delay_seconds_count", L("environment", "metrics-1")));
        Assert.Equal(3, Value(text, "leaseboard_lease_start_delay_seconds_sum", L("environment", "metrics-1")));
        Assert.Equal(0, Value(text, "leaseboard_lease_start_delay_seconds_bucket", L("environment", "metrics-1"), L("le", "2")));
        Assert.Equal(1, Value(text, "leaseboard_lease_start_delay_seconds_bucket", L("environment", "metrics-1"), L("le", "5")));
        Assert.Equal(1, Value(text, "leaseboard_lease_start_delay_seconds_bucket", L("environment", "metrics-1"), L("le", "+Inf")));
        Assert.Equal(1, Value(text, "leaseboard_runs_hung_total", L("environment", "metrics-2")));
        Assert.Null(Value(text, "leaseboard_runs_hung_total", L("environment", "metrics-1")));
        Assert.Equal(1, Value(text, "leaseboard_runs_infrastructure_failures_total", L("environment", "metrics-1")));
        Assert.True(Value(text, "leaseboard_booking_duration_seconds_count", L("outcome", "booked")) >= 1, "a booked booking's duration");
        Assert.True(Value(text, "leaseboard_booking_duration_seconds_count", L("outcome", "conflict")) >= 1, "a conflicting booking's duration");
        Assert.True(Value(text, "leaseboard_booking_duration_seconds_bucket", L("outcome", "booked"), L("le", "+Inf")) >= 1);
        Assert.True(Value(text, "leaseboard_supervise_duration_seconds_count") >= 1, "the supervise pass's duration");
        Assert.True(Value(text, "leaseboard_supervise_duration_seconds_bucket", L("le", "+Inf")) >= 1);
        Assert.True(Value(text, "leaseboard_queue_length") >= 0, "the queue length");
        Assert.Contains("# TYPE leaseboard_lease_start_delay_seconds histogram", text);
        Assert.Contains("# TYPE leaseboard_leases_started_total counter", text);
        Assert.Contains("# TYPE leaseboard_queue_length gauge", text);
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", text); // ASP.NET Core's own meter comes along
    }

    [Fact]
    public async Task Metrics_refuse_an_anonymous_caller_with_401_and_say_what_would_work()
    {
        using var anonymous = host.Client();

        using var response = await anonymous.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        var body = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("Metrics are for admins: sign in as an admin, or send an admin API token", body);
        Assert.DoesNotContain("leaseboard_", body);
    }

    [Fact]
    public async Task Metrics_refuse_a_signed_in_non_admin_with_403_by_cookie_and_by_token()
    {
        using var cookie = host.Client();
        (await cookie.SignInAsync("Nora Nonadmin")).Dispose();
        using var token = host.Client(await host.TokenAsync(Person, ApiScope.Read));
        using var adminsBookToken = host.Client(await host.TokenAsync(Admin, ApiScope.Book)); // an admin's token without the admin scope

        foreach (var (client, who) in new[] { (cookie, "Nora Nonadmin"), (token, "Pat Person"), (adminsBookToken, "Mia Metrics") })
        {
            using var response = await client.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.StartsWith($"Metrics are for admins, and {who} is not one", body);
            Assert.DoesNotContain("leaseboard_", body);
        }
    }

    [Fact]
    public async Task Metrics_answer_a_signed_in_admin_and_an_admin_token()
    {
        using var cookie = host.Client();
        (await cookie.SignInAsAdminAsync("Ada Admin")).Dispose();
        using var token = host.Client(await host.TokenAsync(Admin, ApiScope.Admin));

        foreach (var client in new[] { cookie, token })
        {
            using var response = await client.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("# TYPE leaseboard_queue_length gauge", await response.Content.ReadAsStringAsync());
        }
    }

    [Theory]
    [InlineData("203.0.113.7", HttpStatusCode.OK)]
    [InlineData("::ffff:203.0.113.200", HttpStatusCode.OK)]
    [InlineData("198.51.100.7", HttpStatusCode.Unauthorized)]
    [InlineData("127.0.0.1", HttpStatusCode.Unauthorized)]
    public async Task Metrics_answer_callers_from_a_configured_network_without_sign_in_and_no_one_else(string address, HttpStatusCode expected)
    {
        using var scraper = host.Client(remoteAddress: address);

        using var response = await scraper.GetAsync("/metrics");

        Assert.Equal(expected, response.StatusCode);
    }

    private async Task<Reservation> SeedLeaseAsync(string environmentKey, DateTime startUtc, string spec)
    {
        var dbs = host.Factory.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>();
        await using var db = await dbs.CreateDbContextAsync();
        var environmentId = await db.Environments.Where(e => e.Key == environmentKey).Select(e => e.Id).SingleAsync();
        var reservation = new ReservationBuilder(environmentId, startUtc, startUtc.AddMinutes(30)).Titled("Metrics lease").Build();
        reservation.TestSpec = spec;
        db.Reservations.Add(reservation);
        await db.SaveChangesAsync();
        return reservation;
    }

    private async Task<Reservation> LoadAsync(int id)
    {
        await using var db = await host.Factory.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>().CreateDbContextAsync();
        return await db.Reservations.AsNoTracking().Include(r => r.Runs).SingleAsync(r => r.Id == id);
    }

    /// <summary>One label as the exposition writes it: <c>environment="metrics-1"</c>.</summary>
    private static string L(string name, string value) => $"{name}=\"{value}\"";

    /// <summary>The value of the one sample of <paramref name="series"/> whose labels contain every fragment; null when there is none.</summary>
    private static double? Value(string exposition, string series, params string[] labelFragments)
    {
        var samples = SampleLine().Matches(exposition)
            .Where(m => m.Groups["name"].Value == series && labelFragments.All(f => m.Groups["labels"].Value.Contains(f, StringComparison.Ordinal)))
            .Select(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.True(samples.Count <= 1, $"{samples.Count} samples of {series} with {string.Join(' ', labelFragments)}");
        return samples.Count == 0 ? null : samples[0];
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>[^}]*)\})?\s+(?<value>\S+)(?:\s+\d+)?\r?$", RegexOptions.Multiline)]
    private static partial Regex SampleLine();
}
