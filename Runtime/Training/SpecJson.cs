using System.Collections;
using System.Reflection;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;
using XformerDsl.Specs;

namespace XformerDsl.Training;

/// <summary>One part in which two model specs differ, as <see cref="SpecJson.FirstDifference"/> finds it.</summary>
/// <param name="Part">Where: a property path such as <c>Causal</c>, <c>FeedForward.Activation</c> or <c>Attention[0].Attention.Heads</c>.</param>
/// <param name="Saved">The value in the first (saved) spec, as text (<c>(absent)</c> when the part is missing).</param>
/// <param name="Current">The value in the second (current) spec, as text.</param>
public sealed record SpecDifference(string Part, string Saved, string Current);

/// <summary>
/// A stable JSON form of a <see cref="ModelSpec"/>, stored in checkpoint metadata so a checkpoint can be checked against
/// the model it is loaded into without deserializing the closed <see cref="AttentionSpec"/> family: records become
/// objects (with a <c>$type</c> discriminator where the runtime type is not the declared one), enums their names,
/// collections arrays.
/// </summary>
public static class SpecJson
{
    private const string TypeKey = "$type";

    /// <summary>
    /// Parts of a spec added after checkpoints of earlier versions were written, with the value their absence means: a
    /// checkpoint saved before heads, encoder–decoders, budgets and stacks existed describes a model with none of them.
    /// </summary>
    private static readonly Dictionary<string, string> s_addedLater = new()
    {
        ["Head"] = "null", ["Encoder"] = "null", ["CrossAttention"] = "null", ["Budget"] = "null", ["Stack"] = "Both",
    };

    /// <summary>
    /// The generated static <c>Spec</c> of <paramref name="model"/>'s class (a model declared with <c>[Transformer]</c>),
    /// or null for a hand-written module that has none.
    /// </summary>
    public static ModelSpec? SpecOf(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        for (var type = model.GetType(); type is not null; type = type.BaseType)
        {
            var property = type.GetProperty("Spec", BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly);
            if (property?.PropertyType == typeof(ModelSpec) && property.GetIndexParameters().Length == 0)
                return (ModelSpec?)property.GetValue(null);
        }
        return null;
    }

    /// <summary>The JSON form of <paramref name="spec"/>; two specs are equal exactly when their JSON forms are.</summary>
    public static JsonObject ToJson(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return (JsonObject)ToNode(spec, typeof(ModelSpec))!;
    }

    /// <summary>
    /// The first part, in declaration order (Name, Vocab, Dim, Depth, MaxLength, Causal, …, Attention, FeedForward,
    /// Positions, Normalization, Reversible), in which <paramref name="saved"/> and <paramref name="current"/> differ;
    /// null when they are equal.
    /// </summary>
    public static SpecDifference? FirstDifference(JsonNode? saved, JsonNode? current) => Compare(saved, current, "");

    private static SpecDifference? Compare(JsonNode? a, JsonNode? b, string path)
    {
        if (a is JsonObject objectA && b is JsonObject objectB)
        {
            var typeA = objectA[TypeKey]?.GetValue<string>();
            var typeB = objectB[TypeKey]?.GetValue<string>();
            if (typeA != typeB)
                return new SpecDifference(PathOr(path, TypeKey), typeA ?? "(absent)", typeB ?? "(absent)");
            foreach (var key in objectA.Select(p => p.Key).Concat(objectB.Select(p => p.Key)).Distinct())
            {
                if (key == TypeKey) continue;
                var child = path.Length == 0 ? key : path + "." + key;
                if (!objectA.ContainsKey(key) || !objectB.ContainsKey(key))
                {
                    var present = objectA.ContainsKey(key) ? objectA[key] : objectB[key];
                    if (s_addedLater.TryGetValue(key, out var absentMeans) && Text(present) == absentMeans)
                        continue;
                    return new SpecDifference(child, objectA.ContainsKey(key) ? Text(objectA[key]) : "(absent)", objectB.ContainsKey(key) ? Text(objectB[key]) : "(absent)");
                }
                if (Compare(objectA[key], objectB[key], child) is { } difference)
                    return difference;
            }
            return null;
        }
        if (a is JsonArray arrayA && b is JsonArray arrayB)
        {
            for (int i = 0; i < Math.Min(arrayA.Count, arrayB.Count); i++)
            {
                if (Compare(arrayA[i], arrayB[i], $"{path}[{i}]") is { } difference)
                    return difference;
            }
            return arrayA.Count == arrayB.Count ? null
                : new SpecDifference(PathOr(path, "") + ".Count", arrayA.Count.ToString(), arrayB.Count.ToString());
        }
        var textA = a?.ToJsonString();
        var textB = b?.ToJsonString();
        return textA == textB ? null : new SpecDifference(PathOr(path, "(spec)"), Text(a), Text(b));
    }

    private static string PathOr(string path, string fallback) => path.Length == 0 ? fallback : path;

    /// <summary>A JSON value as it reads in a message: strings without quotes, <c>null</c> for null.</summary>
    private static string Text(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => node.ToJsonString(),
    };

    private static JsonNode? ToNode(object? value, Type declared)
    {
        switch (value)
        {
            case null: return null;
            case string text: return JsonValue.Create(text);
            case bool flag: return JsonValue.Create(flag);
            case Enum member: return JsonValue.Create(SpecFormatName(member));
            case double number: return double.IsFinite(number) ? JsonValue.Create(number) : JsonValue.Create(SpecFormat.Double(number));
            case float number: return ToNode((double)number, typeof(double));
            case int or long or short or byte or uint or ulong or ushort or sbyte:
                return JsonValue.Create(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
            case IEnumerable items:
                var elementType = declared.IsGenericType ? declared.GetGenericArguments()[0] : typeof(object);
                var array = new JsonArray();
                foreach (var item in items)
                    array.Add(ToNode(item, elementType));
                return array;
        }
        var type = value.GetType();
        var result = new JsonObject();
        if (type != declared)
            result[TypeKey] = type.Name;
        foreach (var property in DataProperties(type))
            result[property.Name] = ToNode(property.GetValue(value), property.PropertyType);
        return result;
    }

    private static string SpecFormatName(Enum member) =>
        Enum.IsDefined(member.GetType(), member) ? member.ToString() : Convert.ToInt64(member, System.Globalization.CultureInfo.InvariantCulture).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The record's data: public instance properties with an init accessor (positional parameters and init-only
    /// settings; computed properties have none), base class first, each class in declaration order.
    /// </summary>
    private static IEnumerable<PropertyInfo> DataProperties(Type type)
    {
        var chain = new List<Type>();
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
            chain.Insert(0, t);
        return chain.SelectMany(t => t
            .GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(p => p.GetIndexParameters().Length == 0 && p.GetMethod is { IsPublic: true } && p.SetMethod is not null)
            .OrderBy(p => p.MetadataToken));
    }
}
