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
public sealed partial class FrameworkHostCheck(
    JobStorage storage, IOptions<FrameworkOptions> framework, TimeProvider clock, ILogger<FrameworkHostCheck> logger) : IHostedService
{
    /// <summary>A server whose last heartbeat is older than this is gone (Hangfire's own heartbeat is every 30 s).</summary>
    public static readonly TimeSpan AliveWithin = TimeSpan.FromMinutes(2);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var servers = storage.GetMonitoringApi().Servers().Select(s => (s.Name, s.Heartbeat));
        if (Problem(framework.Value.Driver, servers, Environment.MachineName, clock.GetUtcNow().UtcDateTime) is { } problem)
        {
            LogRefused(problem);
            throw new InvalidOperationException(problem);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Why this host may not run a job server with the driver, or null. Hangfire names servers "host:pid:guid".</summary>
    public static string? Problem(FrameworkDriver driver, IEnumerable<(string Name, DateTime? HeartbeatUtc)> servers, string machineName, DateTime nowUtc)
    {
        var others = servers
            .Where(s => s.HeartbeatUtc is { } beat && nowUtc - beat < AliveWithin)
            .Select(s => s.Name.Split(':')[0])
            .Where(host => !string.Equals(host, machineName, StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.OrdinalIgnoreCase).Order().ToList();
        if (others.Count == 0) return null;
        var why = driver == FrameworkDriver.Process
            ? "Process, whose test runs are processes on the host that started them"
            : "Simulated, whose runs are kept in a file on the host that started them (LeaseBoard:Framework:Simulated:StatePath)";
        return $"{FrameworkOptions.Section}:Driver is {why}, but a job server on {string.Join(", ", others)} already runs on this database. " +
               "Run every job server on one host, and set LeaseBoard:Leases:RunJobServer=false on instances elsewhere (they can still serve pages and the API).";
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Refusing to start: {Problem}")]
    private partial void LogRefused(string problem);
}
