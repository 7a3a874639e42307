<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>CacheDialog</name>
    <message numerus="yes">
        <source>%n model revision(s) with safetensors weights in {folder}</source>
        <translation>
            <numerusform>%n model revision with safetensors weights in {folder}</numerusform>
            <numerusform>%n model revisions with safetensors weights in {folder}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LayersView</name>
    <message numerus="yes">
        <source>All %n decoder layer(s) stay</source>
        <translation>
            <numerusform>All %n decoder layer stays</numerusform>
            <numerusform>All %n decoder layers stay</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Decoder layers {total} → {kept} ({method}): removes %n layer(s) {removed}</source>
        <translation>
            <numerusform>Decoder layers {total} → {kept} ({method}): removes layer {removed}</numerusform>
            <numerusform>Decoder layers {total} → {kept} ({method}): removes layers {removed}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Score: {score}. The higher it is, the more the layer changes what flows through it; the %n lowest go, {what}{merged}.</source>
        <translation>
            <numerusform>Score: {score}. The higher it is, the more the layer changes what flows through it; the %n lowest go, {what}{merged}.</numerusform>
            <numerusform>Score: {score}. The higher it is, the more the layer changes what flows through it; the %n lowest go, {what}{merged}.</numerusform>
        </translation>
    </message>
</context>
</TS>
