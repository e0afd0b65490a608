using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Onboarding.Contracts.Http;
using Onboarding.OrderService.Application;
using Onboarding.OrderService.Infrastructure;
using Onboarding.ServiceDefaults.HttpApi;

namespace Onboarding.Tests.Services;

/// <summary>The shared HTTP edge's pure rules: how a binding failure becomes errors by field, and which ids are well formed.</summary>
public sealed class HttpApiDefaultsTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Theory]
    [InlineData("""{"country":"US","subtotal":"abc"}""", typeof(TaxRequest), "subtotal", "Expected a number.")]
    [InlineData("""{"items":[{"productId":"sku-mouse","quantity":"two"}]}""", typeof(CreateOrderRequest), "items[0].quantity", "Expected an integer from -2147483648 to 2147483647.")]
    [InlineData("""{"items":{"productId":"sku-mouse"}}""", typeof(CreateOrderRequest), "items", "Expected an array.")]
    [InlineData("""{"shippingAddress":"1 Main St"}""", typeof(CreateOrderRequest), "shippingAddress", "Expected an object.")]
    [InlineData("""{"email":42}""", typeof(LoginRequestShape), "email", "Expected a string.")]
    [InlineData("""[]""", typeof(TaxRequest), "body", "Expected an object.")]
    public void Describe_NamesTheFieldAndWhatWasExpected_ForAJsonTypeError(string json, Type bodyType, string field, string message)
    {
        var errors = BadRequestExceptionHandler.Describe(BindingFailure(json, bodyType), bodyType);

        var entry = Assert.Single(errors!);
        Assert.Equal(field, entry.Key);
        Assert.Equal([message], entry.Value);
    }

    [Fact]
    public void Describe_SaysWhereTheJsonBroke_ForASyntaxError()
    {
        var errors = BadRequestExceptionHandler.Describe(BindingFailure("""{"country":"US",""", typeof(TaxRequest)), typeof(TaxRequest));

        var entry = Assert.Single(errors!);
        Assert.Equal("body", entry.Key);
        Assert.StartsWith("The body is not valid JSON (line 1, byte ", entry.Value.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_NamesTheParameter_ForAnUnbindableQueryValue()
    {
        var errors = BadRequestExceptionHandler.Describe(
            new BadHttpRequestException("""Failed to bind parameter "Nullable<int> take" from "abc".""", StatusCodes.Status400BadRequest), null);

        Assert.Equal(["take"], errors!.Keys);
    }

    [Theory]
    [InlineData("0190a6d2-5b1e-7c3a-9f0e-2d4b6a8c1e3f", true)]
    [InlineData("{0190a6d2-5b1e-7c3a-9f0e-2d4b6a8c1e3f}", true)]
    [InlineData("not-a-guid", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsWellFormed_AcceptsOnlyGuids(string? id, bool expected) => Assert.Equal(expected, ResourceIds.IsWellFormed(id));

    [Theory]
    [InlineData(HttpStatusCode.OK, CustomerCheck.Exists)]
    [InlineData(HttpStatusCode.NotFound, CustomerCheck.Unknown)]
    [InlineData(HttpStatusCode.BadRequest, CustomerCheck.Unknown)]
    [InlineData(HttpStatusCode.ServiceUnavailable, CustomerCheck.Unreachable)]
    [InlineData(HttpStatusCode.InternalServerError, CustomerCheck.Unreachable)]
    [InlineData(HttpStatusCode.TooManyRequests, CustomerCheck.Unreachable)]
    [InlineData(HttpStatusCode.Unauthorized, CustomerCheck.Unreachable)]
    internal void FromStatus_RefusesOnlyWhatUserServiceSaysDoesNotExist(HttpStatusCode status, CustomerCheck expected) =>
        Assert.Equal(expected, CustomerChecks.FromStatus(status));

    [Fact]
    public void AddUserDirectory_ShortensTheStandardHandlersLimits_ForTheUserCheck()
    {
        var services = new ServiceCollection();
        services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());
        services.AddUserDirectory();
        using var provider = services.BuildServiceProvider();

        // The standard handler reads its options under the name it gives its pipeline: the check's limits are the
        // ones it runs with.
        Assert.Equal(UserDirectory.ResilienceOptionsName,
            new ServiceCollection().AddHttpClient<UserDirectory>().AddStandardResilienceHandler().PipelineName);
        var options = provider.GetRequiredService<IOptionsMonitor<HttpStandardResilienceOptions>>().Get(UserDirectory.ResilienceOptionsName);
        Assert.Equal(TimeSpan.FromSeconds(5), options.TotalRequestTimeout.Timeout);
        Assert.Equal(2, options.Retry.MaxRetryAttempts);
        Assert.NotNull(provider.GetRequiredService<UserDirectory>());
    }

    /// <summary>What the framework throws when a body does not deserialize: the JsonException inside.</summary>
    private static BadHttpRequestException BindingFailure(string json, Type bodyType)
    {
        var error = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(json, bodyType, Web));
        return new BadHttpRequestException($"Failed to read parameter from the request body as JSON.", StatusCodes.Status400BadRequest, error);
    }

    private sealed record LoginRequestShape(string? Email, string? Password);
}
