using System.ComponentModel.DataAnnotations;

namespace LeaseBoard.Features.Telemetry;

/// <summary>Who may read <c>/metrics</c> without signing in, and where traces and metrics go, from <c>LeaseBoard:Telemetry</c>.</summary>
public sealed class TelemetryOptions : IValidatableObject
{
    public const string Section = "LeaseBoard:Telemetry";

    /// <summary>The standard variable of the OpenTelemetry SDK; it also turns the OTLP exporter on.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Networks (CIDR, e.g. <c>10.0.0.0/24</c>) whose callers may scrape <c>/metrics</c> without signing in, e.g. the Prometheus server's.</summary>
    public List<string> MetricsNetworks { get; set; } = [];

    /// <summary>An OTLP collector (e.g. <c>http://otel-collector:4317</c>, gRPC); empty: no OTLP export (unless <see cref="OtlpEndpointVariable"/> is set).</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>How long the queue length read for a scrape is reused (one count query at most this often).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "LeaseBoard:Telemetry:QueueLengthCacheFor must be between 0 and 10 minutes.")]
    public TimeSpan QueueLengthCacheFor { get; set; } = TimeSpan.FromSeconds(5);

    public IReadOnlyList<System.Net.IPNetwork> ParsedMetricsNetworks() => [.. MetricsNetworks.Select(n => System.Net.IPNetwork.Parse(n.Trim()))];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (network, index) in MetricsNetworks.Select((n, i) => (n, i)))
        {
            if (!System.Net.IPNetwork.TryParse(network?.Trim(), out _))
                yield return new ValidationResult(
                    $"{Section}:MetricsNetworks:{index} is '{network}', which is not a network in CIDR form (e.g. 10.0.0.0/24 or fd00::/8).", [nameof(MetricsNetworks)]);
        }
        if (!string.IsNullOrWhiteSpace(OtlpEndpoint)
            && !(Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            yield return new ValidationResult($"{Section}:OtlpEndpoint is '{OtlpEndpoint}', which is not an http(s) address (e.g. http://otel-collector:4317).", [nameof(OtlpEndpoint)]);
    }
}
