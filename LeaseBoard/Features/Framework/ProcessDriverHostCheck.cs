using Hangfire;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Framework;

/// <summary>
/// The Process driver's runs are processes on the host that started them: only that host can watch, stop or
/// adopt them. So every job server on one database that uses the Process driver must run on one host (where
/// they share the driver's state directory and see each other's processes). This check runs before this
/// instance's job server starts and refuses to start when a job server on another host is alive on the same
/// job storage. Instances that only serve pages (<c>LeaseBoard:Leases:RunJobServer=false</c>) may run anywhere.
/// </summary>
public sealed partial class ProcessDriverHostCheck(
    JobStorage storage, IOptions<FrameworkOptions> framework, TimeProvider clock, ILogger<ProcessDriverHostCheck> logger) : IHostedService
{
    /// <summary>A server whose last heartbeat is older than this is gone (Hangfire's own heartbeat is every 30 s).</summary>
    public static readonly TimeSpan AliveWithin = TimeSpan.FromMinutes(2);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (framework.Value.Driver != FrameworkDriver.Process) return Task.CompletedTask;
        var servers = storage.GetMonitoringApi().Servers().Select(s => (s.Name, s.Heartbeat));
        if (Problem(servers, Environment.MachineName, clock.GetUtcNow().UtcDateTime) is { } problem)
        {
            LogRefused(problem);
            throw new InvalidOperationException(problem);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Why this host may not run a job server with the Process driver, or null. Hangfire names servers "host:pid:guid".</summary>
    public static string? Problem(IEnumerable<(string Name, DateTime? HeartbeatUtc)> servers, string machineName, DateTime nowUtc)
    {
        var others = servers
            .Where(s => s.HeartbeatUtc is { } beat && nowUtc - beat < AliveWithin)
            .Select(s => s.Name.Split(':')[0])
            .Where(host => !string.Equals(host, machineName, StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.OrdinalIgnoreCase).Order().ToList();
        if (others.Count == 0) return null;
        return $"{FrameworkOptions.Section}:Driver is Process, whose test runs are processes on the host that started them, but a job server " +
               $"on {string.Join(", ", others)} already runs on this database. Run every job server with the Process driver on one host, " +
               $"and set LeaseBoard:Leases:RunJobServer=false on instances elsewhere (they can still serve pages and the API).";
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Refusing to start: {Problem}")]
    private partial void LogRefused(string problem);
}
