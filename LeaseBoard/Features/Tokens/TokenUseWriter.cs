namespace LeaseBoard.Features.Tokens;

/// <summary>
/// Writes the tokens' last uses that <see cref="ApiTokenService"/> noted in memory: every <see cref="Interval"/>, and once
/// more when the app stops. A crash loses at most the last interval's "last used" times, which are kept to the minute
/// for people to read; nothing else depends on them.
/// </summary>
public sealed partial class TokenUseWriter(ApiTokenService tokens, TimeProvider clock, ILogger<TokenUseWriter> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private PeriodicTimer? _timer;

    /// <summary>The interval counts from the start (ExecuteAsync itself begins on a thread-pool thread, some time later).</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = new PeriodicTimer(Interval, clock);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = _timer ?? new PeriodicTimer(Interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await WriteAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync writes what is left.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await WriteAsync(cancellationToken);
    }

    private async Task WriteAsync(CancellationToken ct)
    {
        try
        {
            await tokens.WriteUsesAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogFailed(e); // kept in memory and tried again at the next tick
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the API tokens' last uses failed; trying again shortly")]
    private partial void LogFailed(Exception e);
}
