using LeaseBoard.Domain;
using LeaseBoard.Features.Queue;
using LeaseBoard.Features.Telemetry;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace LeaseBoard.Tests.Features.Telemetry;

public sealed class QueueLengthGaugeTests
{
    [Fact]
    public async Task The_queue_length_counts_waiting_entries_and_reads_the_database_at_most_once_per_cache_period()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var options = new StaticOptionsMonitor<TelemetryOptions>(new TelemetryOptions { QueueLengthCacheFor = TimeSpan.FromSeconds(5) });
        var gauge = new QueueLengthGauge(TestTelemetry.Create(), h.Database, h.Clock, options, NullLogger<QueueLengthGauge>.Instance);
        Assert.Equal(0, gauge.Current());

        var later = h.Now.AddDays(2);
        var queued = await h.Queue.EnqueueAsync(new QueueRequest("Queued soak", TestKind.Soak, "", TimeSpan.FromMinutes(30), NotBeforeUtc: later), TestActors.Ana);
        Assert.Equal(QueueOutcome.Queued, queued.Outcome);
        Assert.Equal(0, gauge.Current()); // still the count of a moment ago: scrapes within the period cost no query
        Assert.Equal(1, gauge.Reads);

        h.Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, gauge.Current());
        Assert.Equal(2, gauge.Reads);
    }
}
