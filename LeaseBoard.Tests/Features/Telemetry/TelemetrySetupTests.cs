using System.Collections;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using LeaseBoard.Features.Telemetry;
using LeaseBoard.Setup;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace LeaseBoard.Tests.Features.Telemetry;

/// <summary>What the telemetry set-up builds: OTLP only with an endpoint, and a malformed network refused at start-up.</summary>
public sealed class TelemetrySetupTests
{
    private const string OtlpAssembly = "OpenTelemetry.Exporter.OpenTelemetryProtocol";

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        services.AddTelemetryServices(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Without_an_endpoint_there_is_no_OTLP_exporter_and_no_tracing()
    {
        using var services = Build([]);

        Assert.Null(services.GetService<TracerProvider>());
        var metrics = services.GetRequiredService<MeterProvider>();
        Assert.False(Reaches(metrics, OtlpAssembly), "the meter provider has an OTLP exporter");
        Assert.True(Reaches(metrics, "OpenTelemetry.Exporter.Prometheus.AspNetCore"), "the meter provider has the Prometheus exporter (the search can find exporters)");
    }

    [Theory]
    [InlineData("LeaseBoard:Telemetry:OtlpEndpoint")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT")]
    public void With_an_endpoint_traces_and_metrics_are_exported_over_OTLP(string setting)
    {
        using var services = Build(new() { [setting] = "http://127.0.0.1:4317" });

        var tracing = services.GetService<TracerProvider>();
        Assert.NotNull(tracing);
        Assert.True(Reaches(tracing, OtlpAssembly), "the tracer provider has no OTLP exporter");
        Assert.True(Reaches(services.GetRequiredService<MeterProvider>(), OtlpAssembly), "the meter provider has no OTLP exporter");
    }

    [Fact]
    public async Task With_an_endpoint_a_booking_span_reaches_the_collector()
    {
        using var collector = new FakeCollector();
        using var services = Build(new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });
        var tracing = services.GetRequiredService<TracerProvider>();

        using (var span = LeaseBoardTelemetry.BookingSpan())
            Assert.NotNull(span);
        Assert.True(tracing.ForceFlush(10_000), "the exporter did not flush within 10 s");

        await Eventually.TrueAsync(() => collector.Paths.Contains("/v1/traces"), TimeSpan.FromSeconds(10), "the collector received traces");
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("prometheus.example")]
    public async Task A_malformed_metrics_network_stops_the_start_with_a_message_naming_the_setting(string network)
    {
        await using var app = new LeaseBoardAppFactory(settings: new Dictionary<string, string?>
        {
            ["LeaseBoard:Telemetry:MetricsNetworks:0"] = "10.1.0.0/16",
            ["LeaseBoard:Telemetry:MetricsNetworks:1"] = network,
        });

        var refused = Assert.ThrowsAny<Exception>(() => app.Server);

        Assert.Contains($"LeaseBoard:Telemetry:MetricsNetworks:1 is '{network}', which is not a network in CIDR form (e.g. 10.0.0.0/24 or fd00::/8).", refused.ToString());
    }

    [Fact]
    public void The_options_accept_networks_in_CIDR_form_of_both_families()
    {
        var options = new TelemetryOptions { MetricsNetworks = ["10.0.0.0/8", "fd00::/8", "192.0.2.1/32"] };

        Assert.Empty(options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)));
        Assert.Equal(3, options.ParsedMetricsNetworks().Count);
    }

    /// <summary>Whether an object of <paramref name="assemblyName"/> is reachable from <paramref name="root"/> through fields (a provider's processors and exporters).</summary>
    private static bool Reaches(object root, string assemblyName)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<(object Value, int Depth)>([(root, 0)]);
        while (pending.TryPop(out var item))
        {
            var (value, depth) = item;
            var type = value.GetType();
            if (type.IsPrimitive || value is string or Type or Delegate or IServiceProvider or MemberInfo || !seen.Add(value)) continue;
            if (type.Assembly.GetName().Name == assemblyName) return true;
            if (depth >= 10) continue;
            if (value is IEnumerable sequence and (Array or ICollection))
            {
                foreach (var element in sequence)
                    if (element is not null) pending.Push((element, depth + 1));
                continue;
            }
            for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
                foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                    if (!field.FieldType.IsPointer && field.GetValue(value) is { } child) pending.Push((child, depth + 1));
        }
        return false;
    }
}
