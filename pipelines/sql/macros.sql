-- Normalisation macros, created as temp macros on the connection that checks an upload.
-- Input of the *_value/*_problem macros: a cell already cleaned by clean() (trimmed,
-- full-width folded, NULL when empty). Output: a typed value (NULL when absent or unusable)
-- and the catalogue code of a value that cannot be used (NULL when fine).
-- Money: DECIMAL yuan; `unit` is yuan per unit of the sheet (1, or 10000 for 万元).

create or replace temp macro cell(s) as
    nullif(trim(s, ' ' || chr(9) || chr(10) || chr(13) || chr(12288) || chr(160) || chr(65279)), '');

-- (printable ASCII without spaces, the usual cell of codes, numbers, dates and IDs, is already clean:
-- the regex is ~10x cheaper than translate + trim)
create or replace temp macro clean(s) as
    case when regexp_full_match(s, '[!-~]+') then s
         else nullif(trim(translate(s, '０１２３４５６７８９．，－＋／：ｘＸｅＥ　', '0123456789.,-+/:xXeE '),
                          ' ' || chr(9) || chr(10) || chr(13) || chr(160) || chr(65279)), '') end;
-- true when a cell holds something cell() would keep
create or replace temp macro filled(s) as regexp_matches(s, '[^ \t\n\r\x{3000}\x{a0}\x{feff}]');

-- an Excel error value (a formula that could not be computed), as Excel shows it and a CSV export
-- writes it; a workbook's error cells are read as this text too (pipelines/read.py, error_cells)
create or replace temp macro excel_error(s) as
    case when s in ('#N/A', '#VALUE!', '#REF!', '#DIV/0!', '#NUM!', '#NAME?', '#NULL!', '#SPILL!', '#CALC!',
                    '#GETTING_DATA', '#FIELD!', '#BLOCKED!', '#CONNECT!', '#BUSY!', '#UNKNOWN!')
         then 'excel-error' end;

-- numbers ---------------------------------------------------------------------------------
create or replace temp macro num_text(s) as regexp_replace(s, '[,，\s]|元$|^[¥￥]', '', 'g');
create or replace temp macro dec_value(s) as try_cast(num_text(s) as decimal(38,10));
create or replace temp macro scaled(s, unit) as dec_value(s) * cast(unit as decimal(38,0));

-- x: scaled(s, unit), computed once by the caller
create or replace temp macro money_value_x(x) as
    case when x = round(x, 2) and abs(x) < 1e16 then cast(x as decimal(18,2)) end;
create or replace temp macro money_problem_x(s, x) as
    case when s is null then null
         when x is null or abs(x) >= 1e16 then 'bad-number'
         when x <> round(x, 2) then 'bad-precision' end;
create or replace temp macro money_value(s, unit) as money_value_x(scaled(s, unit));
create or replace temp macro money_problem(s, unit) as money_problem_x(s, scaled(s, unit));

create or replace temp macro decimal_value(s, unit) as
    case when abs(scaled(s, unit)) < 1e14 then cast(scaled(s, unit) as decimal(18,4)) end;
create or replace temp macro decimal_problem(s, unit) as
    case when s is null then null when decimal_value(s, unit) is null then 'bad-number' end;

create or replace temp macro whole_text(s) as regexp_replace(num_text(s), '(年度|年|天|日|days?|\.0+)$', '');
create or replace temp macro int_value(s) as try_cast(whole_text(s) as integer);
create or replace temp macro int_problem(s) as case when s is not null and int_value(s) is null then 'bad-number' end;
create or replace temp macro year_problem(s) as case when s is not null and int_value(s) is null then 'bad-year' end;

-- dates -----------------------------------------------------------------------------------
-- accepted: date cells (as ISO text), 2007-03-05, 2007/3/5, 2007.03.05, 2007年3月5日,
-- 20070305, Excel serial numbers; d/m/y forms only where day and month cannot be swapped.
create or replace temp macro date_text(s) as regexp_replace(s, '(T|\s+)\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$', '');
create or replace temp macro dmy_parts_t(dt) as regexp_extract(dt, '^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$', ['a', 'b', 'y']);
-- dt: date_text(s), dp: dmy_parts_t(dt), both computed once by the caller
create or replace temp macro date_raw_t(dt, dp) as
    case
        when regexp_full_match(dt, '\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?') then
            try_strptime(regexp_replace(dt, '^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$', '\1-\2-\3'), '%Y-%m-%d')::date
        when regexp_full_match(dt, '\d{8}') then try_strptime(dt, '%Y%m%d')::date
        when regexp_full_match(dt, '\d{5}(\.\d+)?') then
            date '1899-12-30' + cast(floor(cast(dt as double)) as integer)
        when dp.a <> '' and try_cast(dp.a as integer) > 12 and try_cast(dp.b as integer) <= 12 then
            try_strptime(dp.y || '-' || dp.b || '-' || dp.a, '%Y-%m-%d')::date
        when dp.a <> '' and try_cast(dp.b as integer) > 12 and try_cast(dp.a as integer) <= 12 then
            try_strptime(dp.y || '-' || dp.a || '-' || dp.b, '%Y-%m-%d')::date
    end;
create or replace temp macro date_value_r(r) as case when year(r) between 1990 and 2100 then r end;
create or replace temp macro date_problem_t(s, dp, v) as
    case when s is null then null
         when dp.a <> '' and try_cast(dp.a as integer) <= 12 and try_cast(dp.b as integer) <= 12 then 'ambiguous-date'
         when v is null then 'bad-date' end;
create or replace temp macro dmy_parts(s) as dmy_parts_t(date_text(s));
create or replace temp macro date_raw(s) as date_raw_t(date_text(s), dmy_parts(s));
create or replace temp macro date_value(s) as date_value_r(date_raw(s));
create or replace temp macro date_problem(s) as date_problem_t(s, dmy_parts(s), date_value(s));

-- resident ID numbers (GB 11643): the Python twin is funds/idnumber.py ---------------------
create or replace temp macro id_text(s) as ltrim(upper(replace(s, ' ', '')), '''`');  -- a leading ' forced text in Excel
-- id_check(b): the check character of 17 digits (callers pass digits only). Integer arithmetic
-- on one BIGINT, not 17 substr + casts: checking the distinct IDs of a county was ~5 us each.
create or replace temp macro id_wsum(n) as
      (n // 10000000000000000) % 10 * 7 + (n // 1000000000000000) % 10 * 9 + (n // 100000000000000) % 10 * 10
    + (n // 10000000000000) % 10 * 5 + (n // 1000000000000) % 10 * 8 + (n // 100000000000) % 10 * 4
    + (n // 10000000000) % 10 * 2 + (n // 1000000000) % 10 * 1 + (n // 100000000) % 10 * 6
    + (n // 10000000) % 10 * 3 + (n // 1000000) % 10 * 7 + (n // 100000) % 10 * 9
    + (n // 10000) % 10 * 10 + (n // 1000) % 10 * 5 + (n // 100) % 10 * 8 + (n // 10) % 10 * 4 + n % 10 * 2;
create or replace temp macro id_check_n(n) as substr('10X98765432', id_wsum(n) % 11 + 1, 1);
create or replace temp macro id_check(b) as id_check_n(try_cast(b as bigint));
-- t: id_text of a cleaned cell, n17: its first 17 characters as a BIGINT (both computed once by the caller)
create or replace temp macro id_problem_n(t, n17) as
    case when t is null then null
         when regexp_full_match(t, '\d{17}[\dX]') then
             case when id_check_n(n17) = substr(t, 18, 1) then null
                  when suffix(t, '000') then 'excel-mangled-id' else 'bad-id-checksum' end
         when regexp_full_match(t, '\d+(\.\d*)?(E\+?\d+)?') and regexp_matches(t, '[.E]') then 'excel-mangled-id'
         when regexp_full_match(t, '\d{15}') then null
         else 'bad-id-format'
    end;
create or replace temp macro id_value_t(t, problem) as
    case when problem is not null or t is null then null
         when length(t) = 15 then substr(t, 1, 6) || '19' || substr(t, 7) || id_check(substr(t, 1, 6) || '19' || substr(t, 7))
         else t end;
create or replace temp macro id_problem(s) as id_problem_n(id_text(s), try_cast(substr(id_text(s), 1, 17) as bigint));
create or replace temp macro id_expected(s) as
    case when regexp_full_match(id_text(s), '\d{17}[\dX]') then id_check(substr(id_text(s), 1, 17)) end;
create or replace temp macro id_value(s) as id_value_t(id_text(s), id_problem(s));
create or replace temp macro id_masked(id18) as substr(id18, 1, 6) || '********' || substr(id18, 15, 4);

-- accounts: digits only, and only the last 4 survive ----------------------------------------
create or replace temp macro account_text(s) as regexp_replace(s, '[\s-]', '', 'g');
create or replace temp macro account_problem(s) as
    case when s is not null and not regexp_full_match(account_text(s), '\d{4,40}') then 'bad-account' end;
create or replace temp macro account_masked(s) as
    case when account_problem(s) is null and s is not null then
        repeat('*', length(account_text(s)) - 4) || right(account_text(s), 4) end;

-- names: CJK names lose inner spaces, middle dots are unified (the Python twin: funds/names.py)
create or replace temp macro person_name(s) as
    case when regexp_matches(s, '[\x{3400}-\x{9fff}]')
         then regexp_replace(regexp_replace(s, '\s+', '', 'g'), '[•・．.‧･]', '·', 'g')
         else regexp_replace(s, '\s+', ' ', 'g') end;

-- digit runs that look like an ID or card number, masked (pattern: funds/redaction.py SQL_PATTERN)
create or replace temp macro mask_numbers(s, pattern) as
    case when regexp_matches(s, pattern) then regexp_replace(s, pattern, '\1********\2', 'g') else s end;

-- words from a fixed list (categories, flags) ----------------------------------------------
create or replace temp macro word_value(s, words_a, a, words_b, b) as
    case when list_contains(words_a, lower(replace(s, ' ', ''))) then a
         when list_contains(words_b, lower(replace(s, ' ', ''))) then b end;

-- a UHUGEINT as decimal text, exactly like cast(h as varchar) but ~30x faster: DuckDB 2.0
-- formats UHUGEINT through slow 128-bit division, HUGEINT (< 2^127) through a fast path.
-- 10^38 < 2^127, so h = q * 10^38 + r with q in 1..3 and r formatted as a HUGEINT.
create or replace temp macro uhuge_text(h) as
    case when h < 170141183460469231731687303715884105728::uhugeint then cast(cast(h as hugeint) as varchar)
         when h >= 300000000000000000000000000000000000000::uhugeint
             then '3' || lpad(cast(cast(h - 300000000000000000000000000000000000000::uhugeint as hugeint) as varchar), 38, '0')
         when h >= 200000000000000000000000000000000000000::uhugeint
             then '2' || lpad(cast(cast(h - 200000000000000000000000000000000000000::uhugeint as hugeint) as varchar), 38, '0')
         else '1' || lpad(cast(cast(h - 100000000000000000000000000000000000000::uhugeint as hugeint) as varchar), 38, '0')
    end;
