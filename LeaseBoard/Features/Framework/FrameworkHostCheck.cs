using Hangfire;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Framework;

/// <summary>
/// Both shipped drivers keep what they know of their runs on this host: the Process driver's runs are processes
/// here (with their registry in its state directory), and the simulated framework's store is a file here. Only
/// job servers on this host can watch, stop or adopt those runs; one on another host would find them unknown and
/// mark them Lost. So this check runs before this instance's job server starts and refuses to start when a job
/// server on another host is alive on the same job storage. Instances that only serve pages
/// (<c>LeaseBoard:Leases:RunJobServer=false</c>) may run anywhere.
/// </summary>
public sealed partial class FrameworkHostCheck : IHostedService
{
    private readonly Func<List<(string Name, DateTime? HeartbeatUtc)>> _servers;
    private readonly IOptions<FrameworkOptions> _framework;
    private readonly TimeProvider _clock;
    private readonly ILogger<FrameworkHostCheck> _logger;

    public FrameworkHostCheck(JobStorage storage, IOptions<FrameworkOptions> framework, TimeProvider clock, ILogger<FrameworkHostCheck> logger)
        : this(() => storage.GetMonitoringApi().Servers().Select(s => (s.Name, s.Heartbeat)).ToList(), framework, clock, logger)
    {
    }

    /// <summary>With the job servers' records read from <paramref name="servers"/> (tests play heartbeats through it).</summary>
    internal FrameworkHostCheck(Func<List<(string Name, DateTime? HeartbeatUtc)>> servers, IOptions<FrameworkOptions> framework, TimeProvider clock,
        ILogger<FrameworkHostCheck> logger)
    {
        _servers = servers;
        _framework = framework;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>A live Hangfire server beats every 30 s: one silent for longer than this is gone.</summary>
    public static readonly TimeSpan AliveWithin = TimeSpan.FromSeconds(65);

    private static readonly TimeSpan LookAgainEvery = TimeSpan.FromSeconds(5);

    /// <summary>Heartbeats come 30 s apart; a record read back a little differently (storages convert times) is not a new beat.</summary>
    private static readonly TimeSpan NewBeat = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A server record of another host may be a live server — or one just killed (a replaced container keeps no
    /// hostname), whose record Hangfire removes only later. So while such a record is recent, wait and look
    /// again: a server that beats again is alive and this start is refused; one whose beat goes stale was gone.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var driver = _framework.Value.Driver;
        var first = OtherHosts(Servers());
        if (Problem(driver, first, Environment.MachineName, Now) is null) return;
        var beats = first.ToDictionary(s => s.Name, s => s.HeartbeatUtc);
        LogWaiting(string.Join(", ", beats.Keys), AliveWithin.TotalSeconds);
        while (true)
        {
            await Task.Delay(LookAgainEvery, _clock, cancellationToken);
            var servers = Servers();
            if (servers.FirstOrDefault(s => beats.TryGetValue(s.Name, out var before) && s.HeartbeatUtc > before + NewBeat) is { Name: not null } alive)
            {
                var problem = Problem(driver, [alive], Environment.MachineName, DateTime.MinValue, ignoreAge: true)!;
                LogRefused(problem);
                throw new InvalidOperationException(problem);
            }
            if (Problem(driver, servers, Environment.MachineName, Now) is null)
            {
                LogWasGone(string.Join(", ", beats.Keys));
                return;
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private DateTime Now => _clock.GetUtcNow().UtcDateTime;

    private List<(string Name, DateTime? HeartbeatUtc)> Servers() => _servers();

    private static List<(string Name, DateTime? HeartbeatUtc)> OtherHosts(List<(string Name, DateTime? HeartbeatUtc)> servers) =>
        servers.Where(s => !string.Equals(HostOf(s.Name), Environment.MachineName, StringComparison.OrdinalIgnoreCase)).ToList();

    private static string HostOf(string serverName) => serverName.Split(':')[0];

    /// <summary>Why this host may not run a job server with the driver, or null. Hangfire names servers "host:pid:guid".</summary>
    public static string? Problem(FrameworkDriver driver, IEnumerable<(string Name, DateTime? HeartbeatUtc)> servers, string machineName, DateTime nowUtc,
        bool ignoreAge = false)
    {
        var others = servers
            .Where(s => ignoreAge || s.HeartbeatUtc is { } beat && nowUtc - beat < AliveWithin)
            .Select(s => HostOf(s.Name))
            .Where(host => !string.Equals(host, machineName, StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.OrdinalIgnoreCase).Order().ToList();
        if (others.Count == 0) return null;
        var why = driver == FrameworkDriver.Process
            ? "Process, whose test runs are processes on the host that started them"
            : "Simulated, whose runs are kept in a file on the host that started them (LeaseBoard:Framework:Simulated:StatePath)";
        return $"{FrameworkOptions.Section}:Driver is {why}, but a job server on {string.Join(", ", others)} already runs on this database. " +
               "Run every job server on one host, and set LeaseBoard:Leases:RunJobServer=false on instances elsewhere (they can still serve pages and the API).";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job server(s) {Servers} of another host beat recently: waiting up to {Seconds} s to see whether they are alive before this job server starts")]
    private partial void LogWaiting(string servers, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job server(s) {Servers} stopped beating: they were gone; this job server starts")]
    private partial void LogWasGone(string servers);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Refusing to start: {Problem}")]
    private partial void LogRefused(string problem);
}
