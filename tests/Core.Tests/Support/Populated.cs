using System.Collections;
using System.Reflection;
using System.Text.Json.Serialization;

namespace Runai.Core.Tests.Support;

/// <summary>Lists the serialized properties of our own model types that a sample leaves null or empty.</summary>
internal static class Populated
{
    public static IReadOnlyList<string> MissingFields(object sample)
    {
        var missing = new List<string>();
        Walk(sample, sample.GetType().Name, missing);
        return missing;
    }

    private static void Walk(object value, string path, List<string> missing)
    {
        var type = value.GetType();
        if (type.Assembly != typeof(GpuQuantity).Assembly || type.IsEnum || type == typeof(GpuQuantity))
        {
            return; // Kubernetes' own types and leaf values are not ours to cover
        }
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<JsonPropertyNameAttribute>() is not { } name)
            {
                continue;
            }
            var child = property.GetValue(value);
            var childPath = $"{path}.{name.Name}";
            switch (child)
            {
                case null:
                    missing.Add(childPath);
                    break;
                case string:
                    break;
                case IDictionary dictionary:
                    if (dictionary.Count == 0)
                    {
                        missing.Add(childPath);
                    }
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        Walk(entry.Value!, $"{childPath}[{entry.Key}]", missing);
                    }
                    break;
                case IEnumerable list:
                    var items = list.Cast<object>().ToList();
                    if (items.Count == 0)
                    {
                        missing.Add(childPath);
                    }
                    items.ForEach(item => Walk(item, childPath + "[]", missing));
                    break;
                default:
                    Walk(child, childPath, missing);
                    break;
            }
        }
    }
}
