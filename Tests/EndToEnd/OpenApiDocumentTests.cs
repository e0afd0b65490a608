using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Onboarding.Contracts.Http;
using Onboarding.NotificationService.Apis;
using Onboarding.NotificationService.Application;
using Onboarding.OrderService.Application;
using Onboarding.Tests.Infrastructure;
using Onboarding.UserService.Application;

namespace Onboarding.Tests.EndToEnd;

/// <summary>
/// Each service's OpenAPI document (<c>/openapi/v1.json</c>, served by the running app) against its validators: a
/// property is in a request schema's <c>required</c> list exactly when the validator refuses a valid body without it.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class OpenApiDocumentTests(AppFixture fixture)
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private const string Id = "0190a6d2-5b1e-7c3a-9f0e-2d4b6a8c1e3f";

    /// <summary>
    /// A request schema, a valid body that holds it (at <paramref name="At"/>, a path of property names and indexes),
    /// the validator of that body, and the prefix its error keys give the schema's properties.
    /// </summary>
    private sealed record RequestSchema(string Name, string Body, string[] At, string Prefix, Func<string, IEnumerable<string>> Validate);

    private static Func<string, IEnumerable<string>> Validator<T>(Func<T?, Dictionary<string, string[]>> validate) =>
        json => validate(JsonSerializer.Deserialize<T>(json, Web)).Keys;

    private const string Order = $$$"""
        {"userId":"{{{Id}}}","customerEmail":"a@b.co","items":[{"productId":"sku-mouse","quantity":1}],
         "shippingAddress":{"name":"Ada","street":"1 Main St","city":"Springfield","postalCode":"12345","country":"US"},
         "paymentMethod":{"cardNumber":"4242424242424242","expiryMonth":12,"expiryYear":2099}}
        """;

    private static readonly Dictionary<string, RequestSchema[]> Schemas = new(StringComparer.Ordinal)
    {
        ["userservice"] =
        [
            new("CreateUserRequest", """{"email":"a@b.co","firstName":"Ada","lastName":"Lovelace","password":"Analytical1","phone":"+44 20 7946 0958"}""", [], "", Validator<CreateUserRequest>(UserValidation.Validate)),
            new("UpdateProfileRequest", """{"firstName":"Ada","lastName":"Lovelace","phone":"+44 20 7946 0958"}""", [], "", Validator<UpdateProfileRequest>(UserValidation.Validate)),
            new("ChangePasswordRequest", """{"currentPassword":"Analytical1","newPassword":"Analytical2"}""", [], "", Validator<ChangePasswordRequest>(UserValidation.Validate)),
            new("LoginRequest", """{"email":"a@b.co","password":"Analytical1"}""", [], "", Validator<LoginRequest>(UserValidation.Validate)),
            new("AssignRoleRequest", """{"role":"user"}""", [], "", Validator<AssignRoleRequest>(UserValidation.Validate)),
        ],
        ["orderservice"] =
        [
            new("CreateOrderRequest", Order, [], "", Validator<CreateOrderRequest>(r => OrderValidation.Validate(r, Now))),
            new("OrderItemRequest", Order, ["items", "0"], "items[0].", Validator<CreateOrderRequest>(r => OrderValidation.Validate(r, Now))),
            new("PaymentMethodRequest", Order, ["paymentMethod"], "paymentMethod.", Validator<CreateOrderRequest>(r => OrderValidation.Validate(r, Now))),
            new("ShippingAddressDto", """{"name":"Ada","street":"1 Main St","city":"Springfield","postalCode":"12345","country":"US"}""", [], "", Validator<ShippingAddressDto>(RequestValidation.Validate)),
            new("OrderStatusChangeRequest", """{"status":"processing","reason":"r"}""", [], "", Validator<OrderStatusChangeRequest>(RequestValidation.Validate)),
            new("OrderChargesRequest", """{"shipping":1,"tax":1,"paymentId":"pay_1","fraudScore":1}""", [], "", Validator<OrderChargesRequest>(RequestValidation.Validate)),
            new("ReserveInventoryRequest", $$"""{"orderId":"{{Id}}","items":[{"productId":"sku-mouse","quantity":1}]}""", [], "", Validator<ReserveInventoryRequest>(RequestValidation.Validate)),
            new("ReservationItem", $$"""{"orderId":"{{Id}}","items":[{"productId":"sku-mouse","quantity":1}]}""", ["items", "0"], "items[0].", Validator<ReserveInventoryRequest>(RequestValidation.Validate)),
            new("ShippingQuoteRequest", """{"country":"US","postalCode":"12345","itemCount":1}""", [], "", Validator<ShippingQuoteRequest>(RequestValidation.Validate)),
            new("TaxRequest", """{"country":"US","subtotal":10}""", [], "", Validator<TaxRequest>(RequestValidation.Validate)),
            new("PaymentRequest", $$"""{"orderId":"{{Id}}","amount":10,"currency":"USD","cardLast4":"4242"}""", [], "", Validator<PaymentRequest>(RequestValidation.Validate)),
            new("SimulateOutageRequest", """{"calls":1}""", [], "", Validator<SimulateOutageRequest>(RequestValidation.Validate)),
            new("FraudScoreRequest", $$"""{"orderId":"{{Id}}"}""", [], "", Validator<FraudScoreRequest>(RequestValidation.Validate)),
            new("UserUpdatedNotification", $$"""{"userId":"{{Id}}","email":"a@b.co","changedFields":["first_name"]}""", [], "", Validator<UserUpdatedNotification>(RequestValidation.Validate)),
        ],
        ["notificationservice"] =
        [
            new("SendEmailRequest", $$"""{"recipient":"a@b.co","subject":"s","body":"b","category":"general","idempotencyKey":"k","userId":"{{Id}}"}""", [], "", Validator<SendEmailRequest>(NotificationValidation.Validate)),
            new("BatchSendRequest", """{"recipients":["a@b.co"],"subject":"s","body":"b"}""", [], "", Validator<BatchSendRequest>(NotificationValidation.Validate)),
            new("PreferencesRequest", """{"emailEnabled":true,"orderUpdates":true,"securityAlerts":true,"marketing":false}""", [], "", Validator<PreferencesRequest>(NotificationValidation.Validate)),
            new("UserUpdatedNotification", $$"""{"userId":"{{Id}}","email":"a@b.co","changedFields":["first_name"]}""", [], "", Validator<UserUpdatedNotification>(NotificationValidation.Validate)),
        ],
    };

    public static TheoryData<string> Services => ["userservice", "orderservice", "notificationservice"];

    [Theory]
    [MemberData(nameof(Services))]
    public async Task RequestSchemas_RequireExactlyWhatTheValidatorsRequire(string service)
    {
        var document = (await DocumentAsync(service)).AsObject();
        var components = document["components"]!["schemas"]!.AsObject();
        var table = Schemas[service].ToDictionary(s => s.Name, StringComparer.Ordinal);

        // Every schema a request body uses, nested ones included, is checked.
        var bodySchemas = RequestBodySchemas(document, components);
        Assert.Empty(bodySchemas.Except(table.Keys));

        var mismatches = new List<string>();
        foreach (var schema in Schemas[service])
        {
            var properties = components[schema.Name]!["properties"]!.AsObject().Select(p => p.Key).ToList();
            var documented = components[schema.Name]!["required"]?.AsArray().Select(r => r!.GetValue<string>()).ToHashSet(StringComparer.Ordinal) ?? [];
            Assert.Empty(schema.Validate(schema.Body));
            foreach (var property in properties)
            {
                var keys = schema.Validate(Without(schema.Body, schema.At, property)).ToList();
                var field = schema.Prefix + property;
                var required = keys.Any(k => k == field || k.StartsWith(field + ".", StringComparison.Ordinal) || k.StartsWith(field + "[", StringComparison.Ordinal));
                if (required != documented.Contains(property))
                {
                    mismatches.Add($"{schema.Name}.{property}: the validator {(required ? "requires" : "does not require")} it, the document {(documented.Contains(property) ? "does" : "does not")}");
                }
            }
        }

        Assert.Empty(mismatches);
    }

    private async Task<JsonNode> DocumentAsync(string service)
    {
        using var http = fixture.App.CreateHttpClient(service);
        return (await http.GetFromJsonAsync<JsonNode>("/openapi/v1.json", TestContext.Current.CancellationToken))!;
    }

    /// <summary>The component schemas that request bodies refer to, and the schemas those refer to.</summary>
    private static HashSet<string> RequestBodySchemas(JsonObject document, JsonObject components)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<JsonNode>(document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject())
            .Select(operation => operation.Value!["requestBody"])
            .OfType<JsonNode>());
        while (pending.TryPop(out var node))
        {
            switch (node)
            {
                case JsonObject obj:
                    if (obj["$ref"]?.GetValue<string>() is { } reference && found.Add(reference.Split('/')[^1]))
                    {
                        pending.Push(components[reference.Split('/')[^1]]!);
                    }

                    foreach (var child in obj.Where(p => p.Key != "$ref").Select(p => p.Value).OfType<JsonNode>())
                    {
                        pending.Push(child);
                    }

                    break;
                case JsonArray array:
                    foreach (var child in array.OfType<JsonNode>())
                    {
                        pending.Push(child);
                    }

                    break;
            }
        }

        return found;
    }

    private static string Without(string body, string[] at, string property)
    {
        var root = JsonNode.Parse(body)!;
        var target = at.Aggregate(root, (node, step) => int.TryParse(step, out var index) ? node[index]! : node[step]!);
        target.AsObject().Remove(property);
        return root.ToJsonString();
    }
}
