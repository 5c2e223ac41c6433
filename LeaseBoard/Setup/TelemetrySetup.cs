using LeaseBoard.Features.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LeaseBoard.Setup;

public static class TelemetrySetup
{
    public const string MetricsPath = "/metrics";

    /// <summary>The instruments the engine, the supervisor and booking record into (tests build these parts alone, so each part adds it).</summary>
    public static IServiceCollection AddTelemetryInstruments(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<LeaseBoardTelemetry>();
        return services;
    }

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddTelemetryServices(builder.Configuration);
        return builder;
    }

    /// <summary>
    /// Metrics always (LeaseBoard's meter, ASP.NET Core, HttpClient; Prometheus at <see cref="MetricsPath"/>, OTLP with an
    /// endpoint); traces only with an OTLP endpoint — with nowhere to send spans, recording them would be pure cost.
    /// </summary>
    public static IServiceCollection AddTelemetryServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddTelemetryInstruments();
        services.AddValidatedOptions<TelemetryOptions>(TelemetryOptions.Section);
        services.AddSingleton<QueueLengthGauge>();
        var otlp = OtlpEndpoint(configuration);

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(LeaseBoardTelemetry.Name))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(LeaseBoardTelemetry.MeterNameOf(configuration)).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddPrometheusExporter();
                if (otlp.Enabled) metrics.AddOtlpExporter(o => otlp.Apply(o));
            });
        if (otlp.Enabled)
            telemetry.WithTracing(tracing => tracing.AddSource(LeaseBoardTelemetry.Name)
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments(MetricsPath)) // a scrape is no trace
                .AddHttpClientInstrumentation()
                .AddEntityFrameworkCoreInstrumentation()
                .AddOtlpExporter(o => otlp.Apply(o)));
        return services;
    }

    /// <summary><c>/metrics</c> in Prometheus text format, behind <see cref="MetricsAccess"/>; and the queue gauge begins to report.</summary>
    public static WebApplication MapTelemetry(this WebApplication app)
    {
        app.Services.GetRequiredService<QueueLengthGauge>();
        var access = new MetricsAccess(app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.ParsedMetricsNetworks());
        app.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null,
            configureBranchedPipeline: pipeline => pipeline.Use((context, next) => access.GateAsync(context, () => next(context))), optionsName: null);
        return app;
    }

    /// <summary>
    /// <c>LeaseBoard:Telemetry:OtlpEndpoint</c> (gRPC), else the SDK's own <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (with
    /// <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, which the exporter reads itself); neither: no OTLP exporter.
    /// </summary>
    public static OtlpChoice OtlpEndpoint(IConfiguration configuration)
    {
        var own = configuration[TelemetryOptions.Section + ":" + nameof(TelemetryOptions.OtlpEndpoint)];
        if (!string.IsNullOrWhiteSpace(own)) return new OtlpChoice(true, Uri.TryCreate(own, UriKind.Absolute, out var uri) ? uri : null);
        return new OtlpChoice(!string.IsNullOrWhiteSpace(configuration[TelemetryOptions.OtlpEndpointVariable]), null);
    }

    /// <summary>Whether to export over OTLP, and to which endpoint when LeaseBoard's own setting names it (null: the SDK's variables decide).</summary>
    public sealed record OtlpChoice(bool Enabled, Uri? Endpoint)
    {
        public void Apply(OpenTelemetry.Exporter.OtlpExporterOptions options)
        {
            if (Endpoint is not null) options.Endpoint = Endpoint;
        }
    }
}
