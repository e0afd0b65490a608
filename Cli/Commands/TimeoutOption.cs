using System.CommandLine;

namespace Onboarding.Cli.Commands;

/// <summary>A <c>--timeout</c> in seconds (fractions allowed, as Celery's <c>--timeout 1.5</c>).</summary>
internal static class TimeoutOption
{
    public static Option<double> Create(string description, double defaultSeconds)
    {
        var option = new Option<double>("--timeout", "-t")
        {
            Description = $"{description}, in seconds",
            HelpName = "seconds",
            DefaultValueFactory = _ => defaultSeconds,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is <= 0 or double.NaN or > 86_400)
            {
                result.AddError("--timeout must be more than 0 and at most 86400 seconds.");
            }
        });
        return option;
    }

    public static TimeSpan Get(ParseResult parseResult, Option<double> option) =>
        TimeSpan.FromSeconds(parseResult.GetValue(option));
}
