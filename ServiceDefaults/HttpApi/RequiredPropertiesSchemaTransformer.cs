using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Onboarding.ServiceDefaults.HttpApi;

/// <summary>
/// Makes a schema's <c>required</c> list say what the API requires. The generator marks every constructor parameter
/// of a record required, but the request records declare every field nullable so that a missing field reaches the
/// validator (a 400 naming it) instead of failing binding. So: a nullable property is optional unless it carries
/// <see cref="RequiredAttribute"/>, which marks the fields the validators require.
/// </summary>
internal sealed class RequiredPropertiesSchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonTypeInfo.Kind != JsonTypeInfoKind.Object || schema.Properties is null)
        {
            return Task.CompletedTask;
        }

        var nullability = new NullabilityInfoContext();
        foreach (var property in context.JsonTypeInfo.Properties)
        {
            if (!schema.Properties.ContainsKey(property.Name))
            {
                continue;
            }

            if (HasRequired(property))
            {
                (schema.Required ??= new HashSet<string>(StringComparer.Ordinal)).Add(property.Name);
            }
            else if (IsNullable(property, nullability))
            {
                schema.Required?.Remove(property.Name);
            }
        }

        return Task.CompletedTask;
    }

    private static bool HasRequired(JsonPropertyInfo property) =>
        property.AttributeProvider?.IsDefined(typeof(RequiredAttribute), inherit: true) is true
        || property.AssociatedParameter?.AttributeProvider?.IsDefined(typeof(RequiredAttribute), inherit: true) is true;

    private static bool IsNullable(JsonPropertyInfo property, NullabilityInfoContext nullability)
    {
        if (Nullable.GetUnderlyingType(property.PropertyType) is not null)
        {
            return true;
        }

        return property.AttributeProvider switch
        {
            PropertyInfo p => nullability.Create(p).ReadState == NullabilityState.Nullable,
            FieldInfo f => nullability.Create(f).ReadState == NullabilityState.Nullable,
            _ => false,
        };
    }
}
