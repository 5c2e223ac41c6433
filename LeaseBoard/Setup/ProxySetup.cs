using System.ComponentModel.DataAnnotations;
using System.Net;
using LeaseBoard.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Setup;

/// <summary>
/// The reverse proxies in front of LeaseBoard, from <c>LeaseBoard:ForwardedHeaders</c>. Only a request that
/// arrives from one of them may say, in <c>X-Forwarded-For/Proto/Host</c>, who the caller is and which
/// address they used; from anywhere else those headers are ignored (loopback included, unless listed).
/// </summary>
public sealed class ForwardedHeadersSettings : IValidatableObject
{
    public const string Section = "LeaseBoard:ForwardedHeaders";

    /// <summary>Addresses of the proxies, e.g. <c>10.0.0.5</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks the proxies are in, as CIDR, e.g. <c>10.0.0.0/24</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var proxy in KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
            yield return new ValidationResult($"{Section}:KnownProxies has '{proxy}', which is not an IP address (e.g. 10.0.0.5).", [nameof(KnownProxies)]);
        foreach (var network in KnownNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)))
            yield return new ValidationResult($"{Section}:KnownNetworks has '{network}', which is not a network in CIDR form (e.g. 10.0.0.0/24).", [nameof(KnownNetworks)]);
    }
}

/// <summary>What several instances behind a proxy need: forwarded headers from known proxies, and one shared data-protection key ring.</summary>
public static class ProxySetup
{
    /// <summary>Every instance protects cookies and antiforgery tokens under this name with the keys kept in the database.</summary>
    public const string ApplicationName = "LeaseBoard";

    public static WebApplicationBuilder AddProxiesAndSharedKeys(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<ForwardedHeadersSettings>(ForwardedHeadersSettings.Section);
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ForwardedHeadersSettings>>((o, settings) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            o.KnownProxies.Clear(); // the framework trusts loopback by default; here only what is configured
            o.KnownIPNetworks.Clear();
            foreach (var proxy in settings.Value.KnownProxies) o.KnownProxies.Add(IPAddress.Parse(proxy));
            foreach (var network in settings.Value.KnownNetworks) o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            o.ForwardLimit = null; // a chain of known proxies is walked back to the first address that is not one of them
        });

        // A restart keeps everyone signed in, and every instance on the database reads the others' cookies.
        builder.Services.AddDataProtection().SetApplicationName(ApplicationName).PersistKeysToDbContext<LeaseBoardDb>();
        return builder;
    }

    /// <summary>First in the pipeline, so that redirects, links, the rate limits and the logs see the caller's scheme, host and address.</summary>
    public static WebApplication UseForwardedHeadersFromProxies(this WebApplication app)
    {
        // With no proxy listed the middleware would trust every sender (it checks addresses only when some are
        // known), so without one it is left out and the headers mean nothing.
        var settings = app.Services.GetRequiredService<IOptions<ForwardedHeadersSettings>>().Value;
        if (settings.KnownProxies.Count > 0 || settings.KnownNetworks.Count > 0)
            app.UseForwardedHeaders();
        return app;
    }
}
