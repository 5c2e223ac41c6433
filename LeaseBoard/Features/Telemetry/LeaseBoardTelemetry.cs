using System.Collections.Frozen;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;

namespace LeaseBoard.Features.Telemetry;

/// <summary>
/// LeaseBoard's own metrics (the meter <c>LeaseBoard</c>, made through <see cref="IMeterFactory"/> so each host has its
/// own) and spans (the activity source <c>LeaseBoard</c>). The engine, the supervisor and the booking service call the
/// one-line methods here; OpenTelemetry exports what they record (see TelemetrySetup). With nothing listening, a record
/// is a few nanoseconds and a span is not even created.
/// </summary>
public sealed class LeaseBoardTelemetry
{
    public const string Name = "LeaseBoard";
    public const string EnvironmentTag = "environment";
    public const string OutcomeTag = "outcome";

    /// <summary>Spans around booking and lease start; static, as an activity source has no factory and is cheap when unheard.</summary>
    public static readonly ActivitySource Source = new(Name);

    // Second-based buckets (the SDK's default ones are for milliseconds): a booking in milliseconds, a start delay up to half an hour.
    private static readonly double[] QuickSeconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private static readonly double[] DelaySeconds = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800];

    private readonly Counter<long> _leasesStarted;
    private readonly Histogram<double> _startDelay;
    private readonly Counter<long> _runsHung;
    private readonly Counter<long> _infrastructureFailures;
    private readonly Histogram<double> _bookingDuration;
    private readonly Histogram<double> _superviseDuration;

    /// <summary>
    /// Where the meter's name may be set (default <see cref="Name"/>). One process has one host in production; a test process
    /// has many, and every OpenTelemetry provider hears every meter of its name in the process (and a disposed host's meter
    /// ends the shared stream), so a test host that reads its own series gives its meter a name of its own.
    /// </summary>
    public const string MeterNameSetting = "LeaseBoard:Telemetry:MeterName";

    public LeaseBoardTelemetry(IMeterFactory meters, IConfiguration? configuration = null)
    {
        Meter = meters.Create(MeterNameOf(configuration));
        _leasesStarted = Meter.CreateCounter<long>("leaseboard.leases.started", "{lease}", "Leases started (a reservation's environment claimed under a new fencing token), by environment.");
        _startDelay = Meter.CreateHistogram("leaseboard.lease.start_delay", "s", "From a slot's start to its test running on the framework (0 when on time).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DelaySeconds });
        _runsHung = Meter.CreateCounter<long>("leaseboard.runs.hung", "{run}", "Runs stopped because they made no progress for the hang timeout, by environment.");
        _infrastructureFailures = Meter.CreateCounter<long>("leaseboard.runs.infrastructure_failures", "{failure}",
            "Runs whose failure is attributed to the infrastructure (not the test), by environment.");
        _bookingDuration = Meter.CreateHistogram("leaseboard.booking.duration", "s", "Time to answer a booking request (BookingService.BookAsync), by outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = QuickSeconds });
        _superviseDuration = Meter.CreateHistogram("leaseboard.supervise.duration", "s", "Time of one supervise pass (the 30-second beat, and the start-up reconcile's pass).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = QuickSeconds });
    }

    /// <summary>The meter, for instruments that live elsewhere (the queue's gauge).</summary>
    public Meter Meter { get; }

    /// <summary>A lease began: its environment was claimed for the reservation.</summary>
    public void LeaseStarted(string environmentKey) => _leasesStarted.Add(1, new KeyValuePair<string, object?>(EnvironmentTag, environmentKey));

    /// <summary>The lease's test is running; <paramref name="delay"/> = actual start − slot start (an early start counts as 0).</summary>
    public void RunStarted(string environmentKey, TimeSpan delay) =>
        _startDelay.Record(Math.Max(0, delay.TotalSeconds), new KeyValuePair<string, object?>(EnvironmentTag, environmentKey));

    /// <summary>A run is being stopped as hung.</summary>
    public void RunHung(string environmentKey) => _runsHung.Add(1, new KeyValuePair<string, object?>(EnvironmentTag, environmentKey));

    /// <summary>
    /// A run's failure was attributed to the infrastructure rather than the test: when the run ends so (lost, never started,
    /// the environment unhealthy during it) or when a failed cleanup revises a test failure to the environment's.
    /// </summary>
    public void InfrastructureFailure(string environmentKey) =>
        _infrastructureFailures.Add(1, new KeyValuePair<string, object?>(EnvironmentTag, environmentKey));

    /// <summary>
    /// A booking request was answered: its duration from <paramref name="startedTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>)
    /// under its outcome, e.g. <c>booked</c>, <c>conflict</c>, <c>limit_reached</c>. Rehearsals (the warm-up) are not counted.
    /// </summary>
    public void Booked<TOutcome>(TOutcome outcome, long startedTimestamp, bool rehearsal, Activity? span) where TOutcome : struct, Enum
    {
        var name = OutcomeNames<TOutcome>.Of(outcome);
        span?.SetTag("leaseboard.booking.outcome", name);
        if (rehearsal) return;
        _bookingDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, new KeyValuePair<string, object?>(OutcomeTag, name));
    }

    /// <summary>One supervise pass ended after <paramref name="elapsed"/>.</summary>
    public void SupervisePassed(TimeSpan elapsed) => _superviseDuration.Record(elapsed.TotalSeconds);

    /// <summary>The span of a booking request (null when no one records traces).</summary>
    public static Activity? BookingSpan() => Source.StartActivity("booking.book");

    /// <summary>The span of a lease start (null when no one records traces).</summary>
    public static Activity? LeaseStartSpan(int reservationId) =>
        Source.StartActivity("lease.start")?.SetTag("leaseboard.reservation.id", reservationId);

    /// <summary>Tag values for an enum's members, made once: <c>LimitReached</c> → <c>limit_reached</c>.</summary>
    private static class OutcomeNames<TOutcome> where TOutcome : struct, Enum
    {
        private static readonly FrozenDictionary<TOutcome, string> Names =
            Enum.GetValues<TOutcome>().Distinct().ToFrozenDictionary(v => v, v => SnakeCase(v.ToString()));

        public static string Of(TOutcome outcome) => Names.TryGetValue(outcome, out var name) ? name : "other";

        private static string SnakeCase(string name)
        {
            var text = new StringBuilder(name.Length + 4);
            foreach (var c in name)
            {
                if (char.IsUpper(c) && text.Length > 0) text.Append('_');
                text.Append(char.ToLowerInvariant(c));
            }
            return text.ToString();
        }
    }

    /// <summary>The meter's name in this host (see <see cref="MeterNameSetting"/>).</summary>
    public static string MeterNameOf(IConfiguration? configuration) =>
        configuration?[MeterNameSetting] is { Length: > 0 } name ? name : Name;
}
