namespace LeaseBoard.Features.Leases;

/// <summary>
/// Hangfire's log provider is process-wide; bound to one host's logger factory it throws once that host
/// is disposed while another still runs (tests start several hosts). Logs after disposal are dropped.
/// </summary>
public sealed class HostBoundLogProvider(ILoggerFactory loggerFactory) : Hangfire.Logging.ILogProvider
{
    private readonly Hangfire.AspNetCore.AspNetCoreLogProvider _inner = new(loggerFactory);

    public Hangfire.Logging.ILog GetLogger(string name) => new SafeLog(() => _inner.GetLogger(name));

    private sealed class SafeLog(Func<Hangfire.Logging.ILog> create) : Hangfire.Logging.ILog
    {
        private Hangfire.Logging.ILog? _log;

        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            try
            {
                return (_log ??= create()).Log(logLevel, messageFunc, exception);
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }
}
