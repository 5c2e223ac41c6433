using System.Reflection;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.Wall;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Tests.Host;

/// <summary>How the app's parts are wired, checked on the real host.</summary>
public sealed class WiringTests
{
    /// <summary>Every settings class of the app: a public class with a <c>Section</c> constant.</summary>
    private static readonly Type[] Found = typeof(Program).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true } && t.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true })
        .OrderBy(t => t.FullName, StringComparer.Ordinal).ToArray();

    public static TheoryData<Type> OptionsClasses() => new(Found);

    [Theory]
    [MemberData(nameof(OptionsClasses))]
    public async Task Every_options_class_is_validated_at_start_up(Type options)
    {
        await using var factory = new LeaseBoardAppFactory();
        _ = factory.Server;

        var validators = (IEnumerable<object>)factory.Services.GetRequiredService(typeof(IEnumerable<>).MakeGenericType(typeof(IValidateOptions<>).MakeGenericType(options)));
        var registered = factory.Services.GetRequiredService<IServiceProviderIsService>();
        Assert.True(validators.Any(),
            $"{options.Name} has no validator: bind it with AddValidatedOptions so a bad setting stops the start with its message.");
        Assert.True(registered.IsService(typeof(IOptions<>).MakeGenericType(options)));
    }

    [Fact]
    public void The_options_list_finds_the_known_settings_classes()
    {
        Assert.Superset(new HashSet<Type> { typeof(BookingOptions), typeof(WallOptions), typeof(FrameworkOptions), typeof(ProcessFrameworkOptions) }, Found.ToHashSet());
    }

    [Fact]
    public async Task A_bad_setting_stops_the_start_with_its_message()
    {
        await using var factory = new LeaseBoardAppFactory(settings: new Dictionary<string, string?> { ["LeaseBoard:Api:RequestsPerMinute"] = "0" });

        var refused = Assert.ThrowsAny<Exception>(() => factory.Server);

        Assert.Contains("LeaseBoard:Api:RequestsPerMinute must be between 1 and 100000", refused.ToString());
    }

    [Fact]
    public async Task The_wall_calls_a_run_hung_after_the_lease_engines_own_hang_timeout()
    {
        await using var factory = new LeaseBoardAppFactory(settings: new Dictionary<string, string?> { ["LeaseBoard:Leases:HangTimeout"] = "00:07:00" });
        _ = factory.Server;

        Assert.Equal(TimeSpan.FromMinutes(7), factory.Services.GetRequiredService<IOptionsMonitor<WallOptions>>().CurrentValue.HangTimeout);
    }

    [Fact]
    public async Task The_process_driver_is_checked_at_start_up_only_where_it_is_chosen()
    {
        await using var process = new LeaseBoardAppFactory(settings: new Dictionary<string, string?> { ["LeaseBoard:Framework:Driver"] = "Process" });

        var refused = Assert.ThrowsAny<Exception>(() => process.Server);

        Assert.Contains("LeaseBoard:Framework:Process:StartCommand is required", refused.ToString());
    }
}
