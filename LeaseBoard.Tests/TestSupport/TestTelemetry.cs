using System.Diagnostics.Metrics;
using LeaseBoard.Features.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>Instruments for services a test builds by hand, on a meter factory of their own (as a host has).</summary>
public static class TestTelemetry
{
    public static LeaseBoardTelemetry Create() =>
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
}
