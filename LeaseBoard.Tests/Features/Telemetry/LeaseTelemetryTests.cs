using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using LeaseBoard.Domain;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Features.Telemetry;

/// <summary>The engine's measurements on the fake clock, heard on the harness's own meter: each counted once, however many passes follow.</summary>
public sealed class LeaseTelemetryTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    [Fact]
    public async Task A_hung_run_is_counted_once_for_its_environment_and_an_on_time_start_has_no_delay()
    {
        await using var h = await LeaseHarness.CreateAsync(new() { ["Framework:Simulated:Faults:env-3:HangAtPercent"] = "20" });
        using var heard = new Heard(h);
        var hanging = await h.BookAsync(3, h.At(9, 5), Hour, spec: "duration=50");

        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(hanging.Id)).State == ReservationState.Failed, TimeSpan.FromMinutes(45), "the hung run ended");
        await h.AdvanceAsync(TimeSpan.FromMinutes(5)); // more passes: nothing is counted again

        Assert.Equal(TestRunState.Hung, (await h.ReservationAsync(hanging.Id)).Runs.Single().State);
        Assert.Equal([1L], heard.Longs("leaseboard.runs.hung", "env-3"));
        Assert.Equal([1L], heard.Longs("leaseboard.leases.started", "env-3"));
        var delay = Assert.Single(heard.Doubles("leaseboard.lease.start_delay", "env-3"));
        Assert.InRange(delay, 0, 1); // the start job fires at the slot's start
        Assert.Empty(heard.Longs("leaseboard.runs.infrastructure_failures", "env-3"));
        Assert.NotEmpty(heard.Doubles("leaseboard.supervise.duration", null));
        Assert.Equal(["booked"], heard.Tags("leaseboard.booking.duration", "outcome"));
    }

    [Fact]
    public async Task A_run_that_cannot_be_stopped_counts_one_infrastructure_failure_for_its_environment()
    {
        await using var h = await LeaseHarness.CreateAsync(new() { ["Framework:Simulated:Faults:env-1:UnresponsiveStop"] = "true" });
        using var heard = new Heard(h);
        var stuck = await h.BookAsync(1, h.At(9, 5), Hour, spec: "duration=200");

        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(1)).State == EnvironmentState.Quarantined, TimeSpan.FromMinutes(70), "quarantine");
        await h.AdvanceAsync(TimeSpan.FromMinutes(5));

        Assert.Equal(TestRunState.Lost, (await h.ReservationAsync(stuck.Id)).Runs.Single().State);
        Assert.Equal([1L], heard.Longs("leaseboard.runs.infrastructure_failures", "env-1"));
        Assert.Empty(heard.Longs("leaseboard.runs.hung", "env-1"));
    }

    /// <summary>Every measurement of the harness's meter (and no other: the test process has many meters called LeaseBoard).</summary>
    private sealed class Heard : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();

        public Heard(LeaseHarness h)
        {
            var meter = h.Telemetry.Meter;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter)) listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.Start();
        }

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags) copy[tag.Key] = tag.Value;
            _measurements.Enqueue((instrument.Name, value, copy));
        }

        private IEnumerable<(string Instrument, double Value, Dictionary<string, object?> Tags)> Of(string instrument, string? environment) =>
            _measurements.Where(m => m.Instrument == instrument && (environment is null || Equals(m.Tags.GetValueOrDefault("environment"), environment)));

        public List<long> Longs(string instrument, string? environment) => [.. Of(instrument, environment).Select(m => (long)m.Value)];
        public List<double> Doubles(string instrument, string? environment) => [.. Of(instrument, environment).Select(m => m.Value)];
        public List<string?> Tags(string instrument, string tag) => [.. Of(instrument, null).Select(m => m.Tags.GetValueOrDefault(tag) as string).Distinct()];

        public void Dispose() => _listener.Dispose();
    }
}
