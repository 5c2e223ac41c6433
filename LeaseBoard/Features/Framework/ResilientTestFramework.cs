using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace LeaseBoard.Features.Framework;

/// <summary>
/// The only way the app calls the framework: every call has a timeout, and reads (status, health,
/// list) are retried a little; writes (start, stop, reset) are never retried blindly — the engine
/// decides what to do after a failed write. Timeouts surface as <see cref="TestFrameworkException"/>.
/// </summary>
public sealed class ResilientTestFramework : ITestFramework
{
    private readonly ITestFramework _inner;
    private readonly ResiliencePipeline _command;
    private readonly ResiliencePipeline _read;
    private readonly FrameworkOptions _options;

    public ResilientTestFramework(ITestFramework inner, FrameworkOptions options, TimeProvider clock)
    {
        _inner = inner;
        _options = options;
        _command = new ResiliencePipelineBuilder { TimeProvider = clock }.AddTimeout(options.CommandTimeout).Build();
        var read = new ResiliencePipelineBuilder { TimeProvider = clock };
        if (options.ReadRetries > 0)
        {
            read.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.ReadRetries,
                Delay = TimeSpan.FromMilliseconds(200),
                BackoffType = DelayBackoffType.Exponential,
                ShouldHandle = new PredicateBuilder().Handle<TimeoutRejectedException>()
                    .Handle<TestFrameworkException>(e => e is not StaleFencingTokenException),
            });
        }
        _read = read.AddTimeout(options.ReadTimeout).Build();
    }

    public ITestFramework Inner => _inner;

    public Task<string> StartRunAsync(StartRunRequest request, CancellationToken ct) =>
        Command($"start a run on {request.EnvironmentKey}", token => _inner.StartRunAsync(request, token), ct);

    public Task<RunStatus> GetRunStatusAsync(string environmentKey, string runId, CancellationToken ct) =>
        Read($"report the status of run {runId}", token => _inner.GetRunStatusAsync(environmentKey, runId, token), ct);

    public Task StopRunAsync(string environmentKey, string runId, bool force, CancellationToken ct) =>
        Command($"{(force ? "force-stop" : "stop")} run {runId} on {environmentKey}", async token =>
        {
            await _inner.StopRunAsync(environmentKey, runId, force, token);
            return true;
        }, ct);

    public Task<HealthReport> CheckHealthAsync(string environmentKey, CancellationToken ct) =>
        Read($"check the health of {environmentKey}", token => _inner.CheckHealthAsync(environmentKey, token), ct);

    public Task ResetEnvironmentAsync(string environmentKey, long fencingToken, CancellationToken ct) =>
        Command($"reset {environmentKey}", async token =>
        {
            await _inner.ResetEnvironmentAsync(environmentKey, fencingToken, token);
            return true;
        }, ct);

    public Task<IReadOnlyList<ActiveRun>> ListActiveRunsAsync(CancellationToken ct) =>
        Read("list its active runs", token => _inner.ListActiveRunsAsync(token), ct);

    private Task<T> Command<T>(string what, Func<CancellationToken, Task<T>> call, CancellationToken ct) =>
        Execute(_command, what, _options.CommandTimeout, call, ct);

    private Task<T> Read<T>(string what, Func<CancellationToken, Task<T>> call, CancellationToken ct) =>
        Execute(_read, what, _options.ReadTimeout, call, ct);

    private static async Task<T> Execute<T>(ResiliencePipeline pipeline, string what, TimeSpan timeout, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await pipeline.ExecuteAsync(async token => await call(token), ct);
        }
        catch (TimeoutRejectedException e)
        {
            throw new TestFrameworkException($"The test framework did not {what} within {timeout.TotalSeconds:0.#} s.", e);
        }
        catch (Exception e) when (e is not (TestFrameworkException or OperationCanceledException))
        {
            throw new TestFrameworkException($"The test framework failed to {what}: {e.Message}", e);
        }
    }
}
