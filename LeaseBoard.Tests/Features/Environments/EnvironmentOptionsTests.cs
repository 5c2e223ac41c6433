using System.ComponentModel.DataAnnotations;
using LeaseBoard.Features.Environments;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Tests.Features.Environments;

/// <summary>The environment list is validated at start-up with messages that name the setting.</summary>
public sealed class EnvironmentOptionsTests
{
    private static List<string> Errors(params (string Key, string Name)[] environments)
    {
        var options = new EnvironmentOptions { Environments = [.. environments.Select(e => new EnvironmentDefinition { Key = e.Key, Name = e.Name })] };
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return [.. results.Select(r => r.ErrorMessage!)];
    }

    [Fact]
    public void A_list_of_distinct_well_formed_keys_with_names_is_valid()
    {
        Assert.Empty(Errors(("env-1", "Env 1"), ("chaos-rig-2", "Chaos rig"), ("7", "Seven"), (new string('a', 64), "Long")));
    }

    [Fact]
    public void An_empty_list_is_refused()
    {
        Assert.Equal(["LeaseBoard:Environments must list at least one environment (Key, Name, Description)."], Errors());
    }

    [Fact]
    public void A_key_listed_twice_is_refused_once_with_the_key_named()
    {
        Assert.Equal(["LeaseBoard:Environments lists the key 'env-1' more than once."], Errors(("env-1", "A"), ("env-2", "B"), ("env-1", "C")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Env-1")]
    [InlineData("env_1")]
    [InlineData("env 1")]
    [InlineData("-env")]
    [InlineData("env-1\n")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 65 characters
    public void A_malformed_key_is_refused_with_its_position_and_value(string key)
    {
        Assert.Equal([$"LeaseBoard:Environments:1:Key '{key}' must be 1-64 lower-case letters, digits or dashes."], Errors(("env-1", "Env 1"), (key, "Other")));
    }

    [Fact]
    public void A_missing_name_is_refused_with_its_position()
    {
        Assert.Equal(["LeaseBoard:Environments:0:Name is required."], Errors(("env-1", " ")));
    }

    [Fact]
    public void Start_up_validation_of_bound_configuration_reports_every_problem()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LeaseBoard:Environments:0:Key"] = "env-1", ["LeaseBoard:Environments:0:Name"] = "Env 1",
            ["LeaseBoard:Environments:1:Key"] = "env-1", ["LeaseBoard:Environments:1:Name"] = "Env 1 again",
            ["LeaseBoard:Environments:2:Key"] = "ENV3", ["LeaseBoard:Environments:2:Name"] = "Env 3",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddOptions<EnvironmentOptions>().BindConfiguration(EnvironmentOptions.Section).ValidateDataAnnotations();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<EnvironmentOptions>>().Value);

        Assert.Contains("LeaseBoard:Environments:2:Key 'ENV3' must be 1-64 lower-case letters, digits or dashes.", error.Message);
        Assert.Contains("LeaseBoard:Environments lists the key 'env-1' more than once.", error.Message);
    }

    [Fact]
    public void The_shipped_appsettings_list_five_valid_environments()
    {
        var configuration = new ConfigurationBuilder().SetBasePath(AppContext.BaseDirectory).AddJsonFile("appsettings.json").Build();
        var options = configuration.GetSection(EnvironmentOptions.Section).Get<EnvironmentOptions>()!;

        Assert.Empty(Errors([.. options.Environments.Select(e => (e.Key, e.Name))]));
        Assert.Equal(["env-1", "env-2", "env-3", "env-4", "env-5"], options.Environments.Select(e => e.Key));
    }
}
