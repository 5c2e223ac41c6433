using System.ComponentModel.DataAnnotations;
using LeaseBoard.Features.Booking;
using Microsoft.Extensions.Configuration;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>The booking rules are validated at start-up (DataAnnotations + IValidatableObject) with messages that name the setting.</summary>
public sealed class BookingOptionsTests
{
    private static List<string> Errors(BookingOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return [.. results.Select(r => r.ErrorMessage!)];
    }

    [Fact]
    public void The_defaults_are_valid_and_match_the_design()
    {
        var options = new BookingOptions();

        Assert.Empty(Errors(options));
        Assert.Equal((TimeSpan.FromMinutes(20), TimeSpan.FromHours(3), 5, TimeSpan.FromMinutes(5), TimeSpan.FromDays(30), TimeSpan.FromMinutes(10)),
            (options.MinDuration, options.MaxDuration, options.GridMinutes, options.PastTolerance, options.Horizon, options.ChangeoverBuffer));
    }

    [Fact]
    public void The_shipped_appsettings_are_valid()
    {
        var configuration = new ConfigurationBuilder().SetBasePath(AppContext.BaseDirectory).AddJsonFile("appsettings.json").Build();
        var options = configuration.GetSection(BookingOptions.Section).Get<BookingOptions>()!;

        Assert.Empty(Errors(options));
        Assert.Equal(24, options.MaxHoursPerWeekPerUser);
    }

    [Fact]
    public void A_minimum_duration_above_the_maximum_is_refused()
    {
        var errors = Errors(new BookingOptions { MinDuration = TimeSpan.FromHours(2), MaxDuration = TimeSpan.FromHours(1) });

        Assert.Equal(["LeaseBoard:Booking:MinDuration must not exceed MaxDuration."], errors);
    }

    [Fact]
    public void Durations_off_the_grid_are_refused()
    {
        var errors = Errors(new BookingOptions { MinDuration = TimeSpan.FromMinutes(22) });

        Assert.Equal(["LeaseBoard:Booking:MinDuration and MaxDuration must be whole multiples of GridMinutes."], errors);
    }

    [Fact]
    public void A_changeover_buffer_off_the_grid_is_refused()
    {
        var errors = Errors(new BookingOptions { GridMinutes = 15, MinDuration = TimeSpan.FromMinutes(30) });

        Assert.Equal(["LeaseBoard:Booking:ChangeoverBuffer must be a whole multiple of GridMinutes."], errors);
    }

    public static TheoryData<string, BookingOptions> OutOfRange => new()
    {
        { "LeaseBoard:Booking:MinDuration must be between 5 minutes and 1 day.", new BookingOptions { MinDuration = TimeSpan.Zero } },
        { "LeaseBoard:Booking:MaxDuration must be between 5 minutes and 7 days.", new BookingOptions { MaxDuration = TimeSpan.FromDays(8) } },
        { "LeaseBoard:Booking:GridMinutes must be between 1 and 60.", new BookingOptions { GridMinutes = 0 } },
        { "LeaseBoard:Booking:PastTolerance must be between 0 and 1 hour.", new BookingOptions { PastTolerance = TimeSpan.FromMinutes(-5) } },
        { "LeaseBoard:Booking:Horizon must be between 1 hour and 365 days.", new BookingOptions { Horizon = TimeSpan.FromMinutes(30) } },
        { "LeaseBoard:Booking:ChangeoverBuffer must be between 0 and 2 hours.", new BookingOptions { ChangeoverBuffer = TimeSpan.FromHours(3) } },
        { "LeaseBoard:Booking:MaxUpcomingPerUser must be between 1 and 1000.", new BookingOptions { MaxUpcomingPerUser = 0 } },
        { "LeaseBoard:Booking:MaxHoursPerWeekPerUser must be between 1 and 168.", new BookingOptions { MaxHoursPerWeekPerUser = 200 } },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void A_setting_out_of_its_range_is_refused_with_a_message_naming_it(string expected, BookingOptions options)
    {
        Assert.Contains(expected, Errors(options));
    }

    [Fact]
    public void Fair_use_settings_are_checked_at_start_up_with_the_setting_named()
    {
        Assert.Equal(2, new BookingOptions().MaxConcurrentPerUser);
        Assert.Contains("LeaseBoard:Booking:MaxConcurrentPerUser must be between 1 and 100.", Errors(new BookingOptions { MaxConcurrentPerUser = 0 }));

        var prime = Errors(new BookingOptions
        {
            PrimeTime = new PrimeTimeOptions { Enabled = true, TimeZone = "Mars/Olympus", Start = new(18, 0), End = new(9, 0), MaxDuration = TimeSpan.FromHours(5), MaxConcurrentPerUser = 3 },
        });
        Assert.Contains(prime, e => e.StartsWith("LeaseBoard:Booking:PrimeTime:TimeZone 'Mars/Olympus' is not a time zone", StringComparison.Ordinal));
        Assert.Contains("LeaseBoard:Booking:PrimeTime:Start must lie before End (busy hours within one day).", prime);
        Assert.Contains("LeaseBoard:Booking:PrimeTime:MaxDuration must lie between the booking's MinDuration and MaxDuration.", prime);
        Assert.Contains("LeaseBoard:Booking:PrimeTime:MaxConcurrentPerUser must be at least 1 and at most the booking's MaxConcurrentPerUser.", prime);
        Assert.Empty(Errors(new BookingOptions { PrimeTime = new PrimeTimeOptions { TimeZone = "Mars/Olympus" } })); // off: not checked

        var teams = Errors(new BookingOptions { Teams = [new TeamOptions { Name = "qa" }, new TeamOptions { Name = "QA " }, new TeamOptions { Name = "", WeeklyHours = 0 }] });
        Assert.Contains("LeaseBoard:Booking:Teams names the team 'qa' twice.", teams);
        Assert.Contains("LeaseBoard:Booking:Teams:2: Name is required (at most 64 characters).", teams);
        Assert.Contains("LeaseBoard:Booking:Teams:2: WeeklyHours of '' must be between 1 and 16800.", teams);
    }

    [Fact]
    public void Prime_time_days_from_configuration_replace_the_default_weekdays()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LeaseBoard:Booking:PrimeTime:Enabled"] = "true",
            ["LeaseBoard:Booking:PrimeTime:Days:0"] = "Saturday",
            ["LeaseBoard:Booking:PrimeTime:Start"] = "10:00",
        }).Build();
        var prime = configuration.GetSection(BookingOptions.Section).Get<BookingOptions>()!.PrimeTime;

        Assert.Equal([DayOfWeek.Saturday], prime.BusyDays);
        Assert.Equal(PrimeTimeOptions.Weekdays, new PrimeTimeOptions().BusyDays);
        Assert.Equal(new TimeOnly(10, 0), prime.Start);
        Assert.Equal("Sat 10:00–18:00 UTC", FairUse.DescribePrimeTime(prime));
    }
}
