using Onboarding.Benchmarks;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.Benchmarks;

/// <summary>
/// Keeps the benchmark harness from rotting: a tiny W3 run against the shared servers. No timing is asserted;
/// timings belong to <c>scripts/bench.sh</c>, not to tests.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class BenchmarkHarnessSmokeTests(BrokerFixture fixture)
{
    [Fact]
    public async Task QuickRoundTripRunCompletesAndReports()
    {
        await using var infrastructure = BenchmarkInfrastructure.External(fixture.RabbitMqConnectionString, fixture.RedisConnectionString);
        var options = BenchmarkOptions.Parse(["--quick", "--only", "W3", "--iterations", "20"]);

        var report = await BenchmarkHarness.RunAsync(options, infrastructure, TextWriter.Null, TestContext.Current.CancellationToken);

        var row = Assert.Single(report.Rows);
        Assert.Equal("W3", row.Id);
        Assert.Equal(20, row.Values["iterations"]);
        Assert.NotNull(row.Pass);
        Assert.Contains("| W3 |", report.ToMarkdown(), StringComparison.Ordinal);
        Assert.Contains("\"id\": \"W3\"", report.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task QuickCeleryRunMeasuresRealCeleryBesideOurChain()
    {
        await using var infrastructure = BenchmarkInfrastructure.External(fixture.RabbitMqConnectionString, fixture.RedisConnectionString);
        var options = BenchmarkOptions.Parse(["--quick", "--only", "W4,CELERY"]);

        var report = await BenchmarkHarness.RunAsync(options, infrastructure, TextWriter.Null, TestContext.Current.CancellationToken);

        Assert.Equal(["W4", "W4 Celery", "W5 Celery"], report.Rows.Select(row => row.Id));
        Assert.True(report.Rows[1].Values["p50Ms"] > 0);
        Assert.Equal(100, report.Rows[2].Values["size"]);
        Assert.StartsWith("Celery p50 ", report.Rows[0].Reference, StringComparison.Ordinal);
        Assert.Contains("Celery 5.2", report.Rows[1].Notes, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionsParseTheDocumentedSwitches()
    {
        var options = BenchmarkOptions.Parse(["--quick", "--only", "w1,W3", "--json", "out.json"]);

        Assert.True(options.Quick);
        Assert.Equal(["W1", "W3"], options.Only);
        Assert.Equal("out.json", options.JsonPath);
        Assert.Equal(2_000, options.Scale(20_000));
        Assert.Throws<ArgumentException>(() => BenchmarkOptions.Parse(["--only", "W9"]));
    }
}
