using System.Net;
using System.Net.Http.Json;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Leases;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace LeaseBoard.Tests.Features.Telemetry;

/// <summary>The app with an OTLP endpoint: a booking and a lease start reach the collector as spans, with the requests and commands under them.</summary>
public sealed class TracesTests
{
    [Fact]
    public async Task With_an_OTLP_endpoint_booking_and_lease_start_are_traced_with_their_requests_and_database_commands()
    {
        using var collector = new FakeCollector();
        await using var app = new LeaseBoardAppFactory(settings: new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });
        var (token, error) = await app.Services.GetRequiredService<ApiTokenService>().CreateAsync(TestActors.Ana, "traces", ApiScope.Book, 1);
        Assert.True(token is not null, error);
        using var api = app.CreateClient(new() { AllowAutoRedirect = false });
        api.DefaultRequestHeaders.Authorization = new("Bearer", token.Token);

        var start = DateTime.UtcNow.Date.AddDays(3).AddHours(4).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        using (var booked = await api.PostAsJsonAsync("/api/v1/reservations", new { environment = "env-4", start, durationMinutes = 60, title = "Traced", testKind = "Load", testSpec = "" }))
            Assert.Equal(HttpStatusCode.Created, booked.StatusCode);
        var dbs = app.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>();
        Reservation lease;
        await using (var db = await dbs.CreateDbContextAsync())
        {
            var env = await db.Environments.SingleAsync(e => e.Key == "env-3");
            lease = new ReservationBuilder(env.Id, DateTime.UtcNow.AddSeconds(-1), DateTime.UtcNow.AddMinutes(30)).Titled("Traced lease").Build();
            db.Reservations.Add(lease);
            await db.SaveChangesAsync();
        }
        await app.Services.GetRequiredService<LeaseEngine>().StartLeaseAsync(lease.Id, CancellationToken.None);
        using (var scrape = await app.CreateClient().GetAsync("/metrics")) Assert.Equal(HttpStatusCode.Unauthorized, scrape.StatusCode);
        Assert.True(app.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000), "the exporter did not flush within 10 s");

        await Eventually.TrueAsync(() => collector.Received("/v1/traces", "booking.book"), TimeSpan.FromSeconds(10), "the booking span");
        Assert.True(collector.Received("/v1/traces", "lease.start"), "the lease start span");
        Assert.True(collector.Received("/v1/traces", "/api/v1/reservations"), "ASP.NET Core's request span");
        Assert.True(collector.Received("/v1/traces", "OpenTelemetry.Instrumentation.EntityFrameworkCore"), "EF Core's command spans");
        Assert.False(collector.Received("/v1/traces", "/metrics"), "a scrape was traced");
    }
}
