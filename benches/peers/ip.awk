# One file's requests and distinct client keys, the classic way:
# line.split(" - -", 1)[0].split(",")[0]; blank lines skipped. Run one process per file.
NF == 0 { next }
{
    i = index($0, " - -")
    k = i ? substr($0, 1, i - 1) : $0
    j = index(k, ",")
    if (j) k = substr(k, 1, j - 1)
    if (!(k in seen)) { seen[k] = 1; n++ }
    total++
}
END { printf "%s\t%d\t%d\n", FILENAME, total, n }
